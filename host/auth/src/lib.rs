//! Who is acting: admin tokens and the district each admin may act on. Only a token's SHA-256 is
//! stored; the token itself is shown once, when it is made. The case API, the plugin registry and the
//! command line all authenticate here, so cases and admins work with or without any plugin database.
#![deny(missing_docs)]

use minyi_db::{Db, DbError, params};
use sha2::{Digest, Sha256};

/// The table, in SQL both databases take (the same table the plugin registry kept before).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS admins (
    token_sha256 TEXT PRIMARY KEY,
    district TEXT,                 -- NULL: a city admin
    created_at BIGINT NOT NULL
);
";

/// Why an admin could not be made, found, or may not act.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The database failed.
    #[error("database: {0}")]
    Db(String),
    /// No admin holds this token (or none was given).
    #[error("unknown admin token")]
    Unauthenticated,
    /// The admin acted outside their district, or did what only a city admin may.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The system gave no randomness for a new token.
    #[error("no randomness for a new token: {0}")]
    Randomness(String),
}

impl From<DbError> for AuthError {
    fn from(e: DbError) -> Self {
        AuthError::Db(e.0)
    }
}

impl AuthError {
    /// Stable machine code, as the HTTP API answers it.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Db(_) | AuthError::Randomness(_) => "db.failed",
            AuthError::Unauthenticated => "auth.unknown_token",
            AuthError::Forbidden(_) => "auth.forbidden",
        }
    }
}

/// Who is acting: a district admin, or a city admin (`district: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// The first 8 hex digits of the token's hash: names the admin in histories without revealing it.
    pub id: String,
    /// Their district; none for a city admin.
    pub district: Option<String>,
}

impl Admin {
    /// Whether this admin may act on `district`: a city admin on any, a district admin on their own.
    pub fn may_act_on(&self, district: &str) -> Result<(), AuthError> {
        match &self.district {
            None => Ok(()),
            Some(own) if own == district => Ok(()),
            Some(own) => {
                Err(AuthError::Forbidden(format!("the admin of district {own} cannot act on district {district}")))
            }
        }
    }

    /// Refuses anyone but a city admin.
    pub fn city(&self) -> Result<(), AuthError> {
        match &self.district {
            None => Ok(()),
            Some(own) => Err(AuthError::Forbidden(format!("only a city admin may do this, not the admin of {own}"))),
        }
    }

    /// The district a listing covers: the one asked for, else the admin's own (a city admin's: every
    /// district, `None`); refused outside the admin's district.
    pub fn scope(&self, asked: Option<String>) -> Result<Option<String>, AuthError> {
        let district = asked.or_else(|| self.district.clone());
        if let Some(d) = &district {
            self.may_act_on(d)?;
        }
        Ok(district)
    }
}

/// The admins of one database.
#[derive(Debug)]
pub struct Admins {
    db: Db,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Admins {
    /// Opens (creating the table when new) the admins of an SQLite file, or of a `postgres://` URL.
    pub fn open_url(db: &str) -> Result<Admins, AuthError> {
        Ok(Admins { db: Db::open_url(db, SCHEMA)? })
    }

    /// Creates an admin token. The first admin of a new database (a city admin) needs no token; after
    /// that only a city admin creates tokens. Returns the token: it is shown once and stored hashed.
    pub fn create(&self, by: Option<&Admin>, district: Option<&str>) -> Result<String, AuthError> {
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| AuthError::Randomness(e.to_string()))?;
        let token = format!("minyi_{}", hex::encode(raw));
        self.db.transaction(|tx| {
            // The first admin is created once, even by two hosts at the same moment.
            tx.lock_key("admins")?;
            let existing = tx.query_opt("SELECT COUNT(*) FROM admins", &[])?.map_or(Ok(0), |r| r.int(0))?;
            match by {
                Some(admin) => admin.city()?,
                None if existing == 0 && district.is_none() => {}
                None => return Err(AuthError::Unauthenticated),
            }
            tx.execute(
                "INSERT INTO admins (token_sha256, district, created_at) VALUES ($1, $2, $3)",
                params![token_hash(&token), district, now()],
            )?;
            Ok(())
        })?;
        tracing::info!(district, by = by.map(|a| a.id.as_str()), "admin token created");
        Ok(token)
    }

    /// The admin a token belongs to.
    pub fn authenticate(&self, token: &str) -> Result<Admin, AuthError> {
        let hash = token_hash(token);
        let row = self
            .db
            .run(|c| c.query_opt("SELECT district FROM admins WHERE token_sha256 = $1", params![hash.as_str()]))?;
        match row {
            Some(row) => Ok(Admin { id: hash[..8].to_owned(), district: row.opt_text(0)? }),
            None => Err(AuthError::Unauthenticated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_admin_is_the_city_and_only_the_city_makes_more() -> Result<(), AuthError> {
        let dir = std::env::temp_dir().join(format!("minyi-auth-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| AuthError::Db(e.to_string()))?;
        let admins = Admins::open_url(&dir.join("a.db").to_string_lossy())?;
        assert!(matches!(admins.create(None, Some("110105")), Err(AuthError::Unauthenticated)));
        let city = admins.authenticate(&admins.create(None, None)?)?;
        assert_eq!(city.district, None);
        assert!(matches!(admins.create(None, None), Err(AuthError::Unauthenticated)), "only the first needs none");
        let chaoyang = admins.authenticate(&admins.create(Some(&city), Some("110105"))?)?;
        assert_eq!(chaoyang.district.as_deref(), Some("110105"));
        assert!(matches!(admins.create(Some(&chaoyang), None), Err(AuthError::Forbidden(_))));
        assert!(chaoyang.may_act_on("110105").is_ok());
        assert!(matches!(chaoyang.may_act_on("110108"), Err(AuthError::Forbidden(_))));
        assert_eq!(chaoyang.scope(None)?, Some("110105".into()));
        assert!(chaoyang.scope(Some("110108".into())).is_err());
        assert_eq!(city.scope(None)?, None);
        assert!(matches!(admins.authenticate("minyi_nope"), Err(AuthError::Unauthenticated)));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
