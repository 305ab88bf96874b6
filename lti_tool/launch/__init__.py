"""The LTI 1.3 launch edge: OIDC login, hardened message launch, provisioning, JWKS."""
