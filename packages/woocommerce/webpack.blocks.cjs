// Builds the Blocks checkout script into the plugin folder:
//   wordpress-plugin/alipayhk-woocommerce/build/blocks.js and blocks.asset.php
// @wordpress/scripts' own webpack config, with WordPress's dependency extraction replaced by
// WooCommerce's (it also externalizes @woocommerce/* packages to the wc.* globals).
// BLOCKS_OUT_DIR builds elsewhere (the test builds to a temp dir and compares with the committed files).
const path = require("node:path");
const defaultConfig = require("@wordpress/scripts/config/webpack.config");
const WooCommerceDependencyExtractionWebpackPlugin = require("@woocommerce/dependency-extraction-webpack-plugin");

const base = Array.isArray(defaultConfig) ? defaultConfig[0] : defaultConfig;

module.exports = {
  ...base,
  entry: { blocks: path.resolve(__dirname, "blocks/index.js") },
  output: {
    ...base.output,
    path: process.env.BLOCKS_OUT_DIR ? path.resolve(process.env.BLOCKS_OUT_DIR) : path.resolve(__dirname, "wordpress-plugin/alipayhk-woocommerce/build"),
    clean: false,
  },
  plugins: [
    ...base.plugins.filter(
      (p) =>
        ![
          "DependencyExtractionWebpackPlugin",
          "CopyPlugin",
          "CopyWebpackPlugin",
          "PhpFilePathsPlugin",
          "RtlCssPlugin",
          "MiniCSSExtractPlugin",
          "MiniCssExtractPlugin",
        ].includes(p.constructor.name),
    ),
    new WooCommerceDependencyExtractionWebpackPlugin(),
  ],
};
