//! The model file: `MINYI-CLASSIFY` and a version, a JSON header (the labels, the temperature, what it
//! was trained on), the n-grams with their IDF, the 8-bit weights with a scale and a bias per label,
//! and the SHA-256 of all that at the end — a truncated or altered file is refused before it is read.

use crate::{About, Model};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 14] = b"MINYI-CLASSIFY";
const VERSION: u16 = 1;
/// Bounds a file cannot exceed, so a hostile one cannot make the reader allocate without end.
const MAX_LABELS: usize = 1_000;
const MAX_GRAMS: usize = 2_000_000;
/// Labels × n-grams: a suggestion holds each weight as 8 bytes (its row and its centred row).
const MAX_WEIGHTS: usize = 16_000_000;
const MAX_HEADER: usize = 1 << 20;

/// Why bytes are not a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Not a Minyi classifier model at all.
    #[error("model: not a Minyi classifier model (the file does not start with MINYI-CLASSIFY)")]
    Foreign,
    /// A model of a version this build does not read.
    #[error("model: version {0}; this build reads version {VERSION}")]
    Version(u16),
    /// Cut short, or changed after it was written.
    #[error("model: the file is truncated or corrupt ({0})")]
    Corrupt(String),
}

/// The SHA-256 of a model file, lower-case hex: the name a decision records it by.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl ModelError {
    /// The stable code for clients: every model error is `model`.
    pub fn code(&self) -> &'static str {
        "model"
    }
}

impl Model {
    /// The model as a file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::json!({
            "labels": self.labels,
            "temperature": self.temperature,
            "about": self.about,
            "grams": self.grams.len(),
        })
        .to_string();
        let mut out = Vec::with_capacity(self.grams.len() * (8 + self.labels.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for (g, idf) in self.grams.iter().zip(&self.idf) {
            out.push(g.len() as u8);
            out.extend_from_slice(g.as_bytes());
            out.extend_from_slice(&idf.to_le_bytes());
        }
        for c in 0..self.labels.len() {
            out.extend_from_slice(&self.scale[c].to_le_bytes());
            out.extend_from_slice(&self.bias[c].to_le_bytes());
            out.extend(self.weights[c].iter().map(|w| *w as u8));
        }
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        out
    }

    /// A model from its file; refused with the reason when it is not one.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(ModelError::Foreign);
        }
        let corrupt = |what: &str| ModelError::Corrupt(what.to_owned());
        if bytes.len() < MAGIC.len() + 2 + 4 + 32 {
            return Err(corrupt("shorter than its header"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        let mut r = Reader { bytes: body, at: MAGIC.len() };
        let version = u16::from_le_bytes(r.take(2)?.try_into().map_err(|_| corrupt("version"))?);
        if version != VERSION {
            return Err(ModelError::Version(version));
        }
        if Sha256::digest(body).as_slice() != sum {
            return Err(corrupt("its SHA-256 does not match its contents"));
        }
        let header_len = r.u32()? as usize;
        if header_len > MAX_HEADER {
            return Err(corrupt("header too long"));
        }
        #[derive(serde::Deserialize)]
        struct Header {
            labels: Vec<String>,
            temperature: f32,
            about: About,
            grams: usize,
        }
        let header: Header =
            serde_json::from_slice(r.take(header_len)?).map_err(|e| ModelError::Corrupt(format!("header: {e}")))?;
        let (k, v) = (header.labels.len(), header.grams);
        if !(2..=MAX_LABELS).contains(&k) || v == 0 || v > MAX_GRAMS || k * v > MAX_WEIGHTS {
            return Err(corrupt("label or n-gram count out of range"));
        }
        if !(header.temperature.is_finite() && header.temperature > 0.0) {
            return Err(corrupt("temperature"));
        }
        let (mut grams, mut idf) = (Vec::with_capacity(v), Vec::with_capacity(v));
        for _ in 0..v {
            let len = r.take(1)?[0] as usize;
            let g = std::str::from_utf8(r.take(len)?).map_err(|_| corrupt("an n-gram is not UTF-8"))?;
            grams.push(g.to_owned());
            idf.push(r.f32()?);
        }
        let (mut weights, mut scale, mut bias) = (Vec::with_capacity(k), Vec::with_capacity(k), Vec::with_capacity(k));
        for _ in 0..k {
            scale.push(r.f32()?);
            bias.push(r.f32()?);
            weights.push(r.take(v)?.iter().map(|b| *b as i8).collect());
        }
        if r.at != body.len() {
            return Err(corrupt("bytes after the weights"));
        }
        if idf.iter().chain(&scale).chain(&bias).any(|x| !x.is_finite()) {
            return Err(corrupt("a number is not finite"));
        }
        let mut index = crate::text::Index::default();
        for (i, g) in grams.iter().enumerate() {
            let key = crate::text::gram_of(g).ok_or_else(|| corrupt("an n-gram of more than two characters"))?;
            if index.insert(key, i as u32).is_some() {
                return Err(corrupt("an n-gram listed twice"));
            }
        }
        Ok(Model {
            dense: crate::Dense::of(&weights, &scale),
            labels: header.labels,
            grams,
            index,
            idf,
            weights,
            scale,
            bias,
            temperature: header.temperature,
            about: header.about,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| ModelError::Corrupt("it ends early".into()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32(&mut self) -> Result<f32, ModelError> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}
