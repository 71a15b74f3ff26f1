module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: require('./package.json').name,
  testEnvironment: require('node:path').join(__dirname, '../../tools/jest-ort-environment.cjs'),
};
