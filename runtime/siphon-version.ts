/** Siphon's release: `GET /` on the REST API and `source.version` in every change event. */
export const siphonVersion = '0.1.0';
