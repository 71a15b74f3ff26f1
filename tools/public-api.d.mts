/** { entry of package.json `exports`: the sorted names its published declarations export }. */
export function publicApi(packageDir: string): Record<string, string[]>;
