//! Keys for HTTP signatures: our own RSA-2048 actor key, Ed25519 keys for
//! RFC 9421 peers, and the public keys of remote actors.
//!
//! ActivityPub publishes keys as PEM text (`publicKey.publicKeyPem`), so this
//! module speaks PEM: SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`, what Mastodon
//! publishes), PKCS#1 (`BEGIN RSA PUBLIC KEY`, seen from older software) and
//! PKCS#8 private keys. All cryptography is delegated to `aws-lc-rs`.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, RsaKeyPair, UnparsedPublicKey};

use pem::{pem_decode, pem_encode};

mod pem;
#[cfg(test)]
mod tests;

/// The fixed DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4); the raw
/// 32-byte key follows it.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// A key could not be generated, parsed or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The system could not generate a key (aws-lc refused; usually a broken RNG).
    #[error("could not generate a {0} key")]
    Generate(&'static str),
    /// The text is not a PEM document we can decode.
    #[error("invalid PEM: {0}")]
    Pem(String),
    /// The PEM/DER holds a key type or format pkgfed does not support.
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// The DER structure was recognised but the key itself was rejected.
    #[error("invalid key: {0}")]
    Invalid(String),
    /// Producing a signature failed inside aws-lc.
    #[error("signing failed")]
    Sign,
    /// A signature did not verify against the key.
    #[error("signature does not verify against this key")]
    BadSignature,
    /// A verification method was called on a key of the other type.
    #[error("a {wanted} signature cannot be checked with an {actual} key")]
    WrongKeyType {
        /// The algorithm the caller asked for.
        wanted: &'static str,
        /// The type of key actually held.
        actual: &'static str,
    },
}

/// Our RSA key pair (the actor key every fediverse server expects).
///
/// `Debug` prints only the key size: the private key never reaches logs.
pub struct RsaPrivateKey {
    pair: RsaKeyPair,
    /// Kept so [`RsaPrivateKey::to_pkcs8_pem`] needs no fallible re-encoding.
    pkcs8: Vec<u8>,
    /// SubjectPublicKeyInfo DER, computed once for the same reason.
    spki: Vec<u8>,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("bits", &(self.pair.public_modulus_len() * 8))
            .finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// Generates a fresh RSA-2048 key pair (takes around 100 ms).
    pub fn generate() -> Result<Self, KeyError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate("RSA"))?;
        Self::from_pair(pair)
    }

    /// Parses a private key PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_decode(pem)?;
        let pair = match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            other => {
                return Err(KeyError::Unsupported(format!(
                    "PEM label `{other}`; expected `PRIVATE KEY` or `RSA PRIVATE KEY`"
                )));
            }
        }
        .map_err(|e| KeyError::Invalid(format!("RSA private key rejected: {e}")))?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: RsaKeyPair) -> Result<Self, KeyError> {
        let encode = |what: &str| KeyError::Invalid(format!("could not encode {what}"));
        let pkcs8: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| encode("PKCS#8"))?;
        let spki: PublicKeyX509Der<'static> = pair
            .public_key()
            .as_der()
            .map_err(|_| encode("SubjectPublicKeyInfo"))?;
        Ok(Self {
            pkcs8: pkcs8.as_ref().to_vec(),
            spki: spki.as_ref().to_vec(),
            pair,
        })
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), for storage.
    pub fn to_pkcs8_pem(&self) -> String {
        pem_encode("PRIVATE KEY", &self.pkcs8)
    }

    /// The public key as SubjectPublicKeyInfo PEM with 64-character lines and a
    /// trailing newline, exactly the shape Mastodon puts in `publicKeyPem`.
    pub fn public_key_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki)
    }

    /// The public half, for verifying our own signatures.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::Rsa(self.spki.clone())
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (`rsa-sha256`, `rsa-v1_5-sha256`).
    pub fn sign_pkcs1_sha256(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign_with(&signature::RSA_PKCS1_SHA256, msg)
    }

    /// RSASSA-PSS with SHA-512 (RFC 9421 `rsa-pss-sha512`).
    pub fn sign_pss_sha512(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign_with(&signature::RSA_PSS_SHA512, msg)
    }

    fn sign_with(
        &self,
        encoding: &'static dyn signature::RsaEncoding,
        msg: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(encoding, &SystemRandom::new(), msg, &mut sig)
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }
}

/// An Ed25519 key pair, used to sign RFC 9421 `ed25519` requests.
pub struct Ed25519PrivateKey {
    pair: Ed25519KeyPair,
    spki: Vec<u8>,
}

impl std::fmt::Debug for Ed25519PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519PrivateKey").finish_non_exhaustive()
    }
}

impl Ed25519PrivateKey {
    /// Generates a fresh Ed25519 key pair.
    pub fn generate() -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::generate().map_err(|_| KeyError::Generate("Ed25519"))?;
        let spki = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Invalid("could not encode SubjectPublicKeyInfo".into()))?;
        Ok(Self {
            spki: spki.as_ref().to_vec(),
            pair,
        })
    }

    /// The public key as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`).
    pub fn public_key_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki)
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        let mut raw = [0; 32];
        raw.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey::Ed25519(raw)
    }

    /// Signs `msg` (pure Ed25519, no pre-hash).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.pair.sign(msg).as_ref().to_vec()
    }
}

/// A public key that can check signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA, as DER: SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey` (aws-lc accepts both).
    Rsa(Vec<u8>),
    /// Ed25519, as the raw 32-byte public key.
    Ed25519([u8; 32]),
}

impl PublicKey {
    /// Parses a public key PEM: SPKI RSA or Ed25519 (`BEGIN PUBLIC KEY`) or PKCS#1
    /// RSA (`BEGIN RSA PUBLIC KEY`). RSA keys must be 2048 to 8192 bits.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_decode(pem)?;
        match label.as_str() {
            "PUBLIC KEY" => {
                if let Some(raw) = der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
                    let raw: [u8; 32] = raw.try_into().map_err(|_| {
                        KeyError::Invalid("Ed25519 key is not 32 bytes long".into())
                    })?;
                    return Ok(Self::Ed25519(raw));
                }
                Self::rsa_from_der(der)
            }
            "RSA PUBLIC KEY" => Self::rsa_from_der(der),
            other => Err(KeyError::Unsupported(format!(
                "PEM label `{other}`; expected `PUBLIC KEY` or `RSA PUBLIC KEY`"
            ))),
        }
    }

    fn rsa_from_der(der: Vec<u8>) -> Result<Self, KeyError> {
        let key = aws_lc_rs::rsa::PublicKey::from_der(&der).map_err(|e| {
            KeyError::Unsupported(format!("not an RSA or Ed25519 public key ({e})"))
        })?;
        let bits = key.modulus_len() * 8;
        if !(2048..=8192).contains(&bits) {
            return Err(KeyError::Invalid(format!(
                "RSA key is {bits} bits; 2048 to 8192 bits are accepted"
            )));
        }
        Ok(Self::Rsa(der))
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature.
    pub fn verify_pkcs1_sha256(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        let der = self.rsa_der("rsa-v1_5-sha256")?;
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .verify(msg, sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Checks an RSASSA-PSS SHA-512 signature.
    pub fn verify_pss_sha512(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        let der = self.rsa_der("rsa-pss-sha512")?;
        UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA512, der)
            .verify(msg, sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Checks an Ed25519 signature.
    pub fn verify_ed25519(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        match self {
            Self::Ed25519(raw) => UnparsedPublicKey::new(&signature::ED25519, raw)
                .verify(msg, sig)
                .map_err(|_| KeyError::BadSignature),
            Self::Rsa(_) => Err(KeyError::WrongKeyType {
                wanted: "ed25519",
                actual: "RSA",
            }),
        }
    }

    /// Whether this is an RSA key.
    pub fn is_rsa(&self) -> bool {
        matches!(self, Self::Rsa(_))
    }

    fn rsa_der(&self, wanted: &'static str) -> Result<&[u8], KeyError> {
        match self {
            Self::Rsa(der) => Ok(der),
            Self::Ed25519(_) => Err(KeyError::WrongKeyType {
                wanted,
                actual: "Ed25519",
            }),
        }
    }
}

/// Keys shared by the tests of this crate: RSA keygen is slow, so make one.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod test_keys {
    use super::{Ed25519PrivateKey, RsaPrivateKey};
    use std::sync::OnceLock;

    /// A process-wide RSA-2048 key.
    pub(crate) fn rsa() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| RsaPrivateKey::generate().unwrap())
    }

    /// A second RSA key, for "signed by someone else" tests.
    pub(crate) fn other_rsa() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| RsaPrivateKey::generate().unwrap())
    }

    /// A process-wide Ed25519 key.
    pub(crate) fn ed25519() -> &'static Ed25519PrivateKey {
        static KEY: OnceLock<Ed25519PrivateKey> = OnceLock::new();
        KEY.get_or_init(|| Ed25519PrivateKey::generate().unwrap())
    }
}
