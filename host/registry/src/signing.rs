//! ed25519 keys for plugin manifests: generate, sign, verify. Keys travel as lower-case hex.

use crate::RegistryError;
use crate::manifest::Manifest;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// A new signing key: (secret, public), hex.
pub fn generate() -> Result<(String, String), RegistryError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| RegistryError::Key(format!("no randomness: {e}")))?;
    let key = SigningKey::from_bytes(&secret);
    Ok((hex::encode(secret), hex::encode(key.verifying_key().to_bytes())))
}

fn bytes<const N: usize>(what: &str, s: &str) -> Result<[u8; N], RegistryError> {
    let v = hex::decode(s.trim()).map_err(|_| RegistryError::Key(format!("{what} is not hex")))?;
    v.try_into().map_err(|_| RegistryError::Key(format!("{what} is not {N} bytes")))
}

/// The public key of a secret key, hex.
pub fn public_of(secret_hex: &str) -> Result<String, RegistryError> {
    let key = SigningKey::from_bytes(&bytes::<32>("the secret key", secret_hex)?);
    Ok(hex::encode(key.verifying_key().to_bytes()))
}

/// Signs the manifest in place.
pub fn sign(manifest: &mut Manifest, secret_hex: &str) -> Result<(), RegistryError> {
    let key = SigningKey::from_bytes(&bytes::<32>("the secret key", secret_hex)?);
    manifest.signature = hex::encode(key.sign(&manifest.signing_bytes()).to_bytes());
    Ok(())
}

/// Whether the manifest's signature is valid for the public key (strict verification).
pub fn verify(manifest: &Manifest, public_hex: &str) -> bool {
    let (Ok(public), Ok(signature)) = (bytes::<32>("key", public_hex), bytes::<64>("signature", &manifest.signature))
    else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else { return false };
    key.verify_strict(&manifest.signing_bytes(), &Signature::from_bytes(&signature)).is_ok()
}

/// Checks a public key is a valid ed25519 point, hex.
pub fn check_public(public_hex: &str) -> Result<(), RegistryError> {
    VerifyingKey::from_bytes(&bytes::<32>("the public key", public_hex)?)
        .map(drop)
        .map_err(|_| RegistryError::Key("the public key is not a valid ed25519 key".into()))
}
