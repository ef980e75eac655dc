/**
 * Node's codes for a TLS peer whose certificate could not be verified, so
 * commands can say "not trusted" instead of "cannot reach".
 */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when `code` says the peer's certificate was not trusted. */
export function isUntrustedCertificate(code: string | undefined): boolean {
  return code !== undefined && UNTRUSTED.has(code);
}

/** What to do about an untrusted certificate, after the specific fix the caller names. */
export const TRUST_HINT = 'add the issuing CA to NODE_EXTRA_CA_CERTS (a PEM file) so kodev trusts it';
