// Every test must make at least one assertion: a test that runs code and checks nothing passes
// whatever the code does (a test that cannot fail is a defect). Assertions inside awaited
// `expect(...).rejects/resolves` count; a test that only checks "does not throw" says so with
// `expect(() => …).not.toThrow()` or by asserting on what the call returned.
beforeEach(() => {
  expect.hasAssertions();
});
