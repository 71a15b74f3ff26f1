// The workspace scripts' own tests (tools/*.test.ts), with the packages' jest settings.
module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'tools',
  testMatch: ['<rootDir>/*.test.ts'],
};
