import { readFileSync } from "node:fs";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { AlipayProtocolError } from "./errors";
import { nodeCryptoSigner } from "./signing/signer";
import { parseGatewayReply, renderGatewayReply, responseSignContent } from "./xml";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe("parseGatewayReply on real captures", () => {
  it("reads the GBK-declared HK query reply (ALIPAYCN wallet)", () => {
    const reply = parseGatewayReply(fixture("query-alipaycn.xml"));
    expect(reply.isSuccess).toBe(true);
    expect(reply.request.partner_trans_id).toBe("201207152001584151024");
    expect(reply.response).toMatchObject({
      alipay_trans_status: "TRADE_SUCCESS",
      payment_inst: "ALIPAYCN",
      trans_amount: "3997.60",
      result_code: "SUCCESS",
    });
    expect(reply.sign).toBe("0caa280a9d93707d30059f551ca8c4bc");
    expect(reply.signType).toBe("MD5");
  });

  it("decodes entities in the precreate reply and keeps the sign content exact", () => {
    const reply = parseGatewayReply(fixture("precreate-sgd.xml"));
    expect(reply.response.pic_url).toBe("https://mobilecodec.alipay.com/show.htm?code=bax08616tgysbwsaty4o009b&picSize=M");
    expect(reply.response.qr_code).toBe("https://qr.alipay.com/bax08616tgysbwsaty4o009b");
    expect(reply.request.extend_params).toContain("蔡豆豆");
    expect(responseSignContent(reply)).toContain("&pic_url=https://mobilecodec.alipay.com/show.htm?code=bax08616tgysbwsaty4o009b&picSize=M&");
  });

  it("reads the unsigned transport failure", () => {
    const reply = parseGatewayReply(fixture("error-illegal-sign.xml"));
    expect(reply).toMatchObject({ isSuccess: false, error: "ILLEGAL_SIGN", sign: undefined });
  });

  it("reads a signed failure and signs it over error=<code>", () => {
    const reply = parseGatewayReply(fixture("error-signed-rsa2.xml"));
    expect(reply).toMatchObject({ isSuccess: false, error: "PURCHASE_TRADE_NOT_EXIST", signType: "RSA2" });
    expect(responseSignContent(reply)).toBe("error=PURCHASE_TRADE_NOT_EXIST");
  });

  it("reads the cancel capture without an XML declaration, and the whitespace-laden refund sample", () => {
    expect(parseGatewayReply(fixture("cancel.xml")).response).toEqual({
      out_trade_no: "20140319113639839",
      result_code: "SUCCESS",
      retry_flag: "N",
    });
    expect(parseGatewayReply(fixture("refund-sample.xml")).response).toEqual({
      alipay_trans_id: "2011091703338463",
      partner_trans_id: "201311221000000002",
      result_code: "SUCCESS",
    });
  });

  it("verifies the closed-trade capture's content shape against spec V2", () => {
    const reply = parseGatewayReply(fixture("query-closed-alipayhk.xml"));
    const content = responseSignContent({ ...reply, response: { ...reply.response, alipay_trans_status: "TRADE_SUCCESS" } });
    expect(nodeCryptoSigner.sign("MD5", content, { md5Key: "0123456789abcdefghijklmnopqrstuv" })).toBe("1e45df3ca6c5c140b52ef7b200b4a840");
  });
});

describe("encodings", () => {
  it("honours a GBK declaration on GBK bytes", () => {
    const xml =
      '<?xml version="1.0" encoding="GBK"?><alipay><is_success>T</is_success><response><alipay><subject>測試商品</subject></alipay></response></alipay>';
    const reply = parseGatewayReply(iconv.encode(xml, "GBK"));
    expect(reply.response.subject).toBe("測試商品");
  });
  it("falls back to the Content-Type charset when there is no declaration", () => {
    const xml = "<alipay><is_success>T</is_success><response><alipay><subject>商品</subject></alipay></response></alipay>";
    expect(parseGatewayReply(iconv.encode(xml, "GBK"), "text/xml; charset=GBK").response.subject).toBe("商品");
  });
});

describe("hostile and malformed input", () => {
  it("refuses XXE", () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE alipay [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><alipay><is_success>T</is_success><error>&xxe;</error></alipay>';
    expect(() => parseGatewayReply(xxe)).toThrowError(/DTD or entity declaration is refused/);
  });
  it("refuses billion laughs without expanding", () => {
    const lol = ['<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'];
    for (let i = 1; i < 10; i++) lol.push(`<!ENTITY lol${i} "${`&lol${i - 1 || ""};`.repeat(10)}">`);
    lol.push("]><alipay><is_success>T</is_success><error>&lol9;</error></alipay>");
    expect(() => parseGatewayReply(lol.join(""))).toThrow(AlipayProtocolError);
  });
  it("refuses an HTML page (misrouted request) with a clear message", () => {
    expect(() => parseGatewayReply("<html><body>Not found</body></html>")).toThrowError(/expected an <alipay> XML envelope/);
  });
  it("refuses truncated XML", () => {
    expect(() => parseGatewayReply("<alipay><is_success>T</is_success><response><alipay><a>")).toThrow(AlipayProtocolError);
  });
});

describe("renderGatewayReply", () => {
  it("round-trips through the parser with escaping", () => {
    const xml = renderGatewayReply({
      isSuccess: true,
      request: { service: "alipay.acquire.precreate", subject: "A & B <c>" },
      response: { result_code: "SUCCESS", pic_url: "https://x/show.htm?code=1&picSize=M" },
      sign: "abc",
      signType: "MD5",
    });
    const reply = parseGatewayReply(xml);
    expect(reply.request.subject).toBe("A & B <c>");
    expect(reply.response.pic_url).toBe("https://x/show.htm?code=1&picSize=M");
    expect(reply.sign).toBe("abc");
  });
});

describe("parseGatewayReply on any input", () => {
  it("raises only core's typed errors (property test over XML-ish token soup)", async () => {
    const fc = (await import("fast-check")).default;
    const { AlipayError } = await import("./errors");
    const tok = fc.constantFrom(
      "<alipay>",
      "</alipay>",
      "<is_success>",
      "</is_success>",
      "T",
      "F",
      "<request>",
      "</request>",
      "<param>",
      "</param>",
      '<param name="a">',
      "<param/>",
      "<response>",
      "</response>",
      "<sign>",
      "</sign>",
      "<a>",
      "</a>",
      "x",
      "&amp;",
      "<![CDATA[z]]>",
      '<?xml version="1.0" encoding="KLINGON"?>',
      '<param name="__proto__">',
      "<__proto__>",
      "</__proto__>",
    );
    fc.assert(
      fc.property(fc.array(tok, { maxLength: 20 }), (parts) => {
        const s = parts.join("");
        for (const body of [s, Buffer.from(s)]) {
          try {
            parseGatewayReply(body);
          } catch (error) {
            if (!(error instanceof AlipayError)) throw error;
          }
        }
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it("refuses a repeated or nested response field", () => {
    expect(() => parseGatewayReply("<alipay><is_success>T</is_success><response><alipay><a>1</a><a>2</a></alipay></response></alipay>")).toThrow(
      /<a> appears more than once/,
    );
    expect(() => parseGatewayReply("<alipay><is_success>T</is_success><response><alipay><a><b>1</b></a></alipay></response></alipay>")).toThrow(
      /<a> holds nested elements/,
    );
  });
});

describe("parseForm", () => {
  it("an unknown charset is a protocol error, not a plain Error", async () => {
    const { parseForm } = await import("./form");
    expect(() => parseForm("a=1", "KLINGON")).toThrow(AlipayProtocolError);
  });
});
