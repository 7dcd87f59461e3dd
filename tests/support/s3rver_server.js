// Starts s3rver (npm, installed by scripts/install-deps) on 127.0.0.1 and an ephemeral
// port, with its data in the directory given as the first argument, and prints
// "PORT <n>" (the protocol of tests/support/test_server.hpp). Exits when stdin closes, so
// it never outlives the test that started it.
'use strict';
const path = require('path');
const modules = process.env.AWSDL_NPM_MODULES || path.join(__dirname, '..', '..', '.deps', 'npm', 'node_modules');
const S3rver = require(path.join(modules, 's3rver'));

const directory = process.argv[2];
if (!directory) {
  console.error('usage: s3rver_server.js DATA_DIR');
  process.exit(2);
}
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false });
server.run().then(
  (addr) => console.log('PORT ' + addr.port),
  (err) => {
    console.error('s3rver failed to start: ' + err);
    process.exit(1);
  },
);
process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
process.stdin.resume();
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
