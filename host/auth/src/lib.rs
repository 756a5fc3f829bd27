//! Who is acting: staff and client tokens, each with a role (city, district, operator, reviewer,
//! client), the district and the unit it acts for, and what each role may do. Only a token's SHA-256
//! is stored; the token itself is shown once, when it is made. The case API, the plugin registry and
//! the command line all authenticate here, so cases and tokens work with or without a plugin database.
#![deny(missing_docs)]

use minyi_db::{Db, DbError, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The tables, in SQL both databases take. `admins` is the table of the first releases (a district
/// admin or, without a district, the city's); its tokens are carried into `tokens` on open.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS admins (
    token_sha256 TEXT PRIMARY KEY,
    district TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256 TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,       -- the first 12 hex digits of the hash: names the holder in histories
    role TEXT NOT NULL,            -- city | district | operator | reviewer | client
    district TEXT,
    unit TEXT,
    name TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT,
    revoked_at BIGINT
);
INSERT INTO tokens (token_sha256, id, role, district, created_at)
    SELECT token_sha256, substr(token_sha256, 1, 12), CASE WHEN district IS NULL THEN 'city' ELSE 'district' END,
           district, created_at FROM admins WHERE true
    ON CONFLICT DO NOTHING;
";

/// Why a token could not be made, found, or may not act.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The database failed.
    #[error("database: {0}")]
    Db(String),
    /// No live token matches (none given, unknown, or revoked).
    #[error("unknown or revoked token")]
    Unauthenticated,
    /// The holder may not do this, or not here.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A token asked for is not a possible one (a unit for a city admin, a district code that does not exist).
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault (`district`, `unit`, `name`, `role`).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// No token with this id.
    #[error("no token {0}")]
    NotFound(String),
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
            AuthError::Invalid { .. } => "token.invalid",
            AuthError::NotFound(_) => "not_found",
        }
    }
}

/// What a token's holder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市级管理员: everything, city-wide; creates the district admins.
    City,
    /// 区级管理员: re-dispatches, rules, decides extensions, owns the district's rules and plugins.
    District,
    /// 承办人: staff of one handling unit; works the cases its unit leads or co-handles.
    Operator,
    /// 审核员: reviews callbacks of one district and excludes cases from the rates (reversibly).
    Reviewer,
    /// 接入平台: an integrating platform's API key; files demands and reads its own.
    Client,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [Role::City, Role::District, Role::Operator, Role::Reviewer, Role::Client];

    /// The name in JSON, on the command line and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::District => "district",
            Role::Operator => "operator",
            Role::Reviewer => "reviewer",
            Role::Client => "client",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting: the holder of a live token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Staff {
    /// The first 12 hex digits of the token's hash: names the holder without revealing the token.
    pub id: String,
    /// What the holder is.
    pub role: Role,
    /// Their district; none for a city admin (and for a client or operator not tied to one).
    pub district: Option<String>,
    /// Their unit (an operator's).
    pub unit: Option<String>,
    /// A name for people (`望京街道 承办人 张三`).
    pub name: Option<String>,
}

impl Staff {
    /// Whether this holder administers `district`: a city admin any, a district admin their own;
    /// nobody else administers anything.
    pub fn administers(&self, district: &str) -> Result<(), AuthError> {
        match (self.role, &self.district) {
            (Role::City, _) => Ok(()),
            (Role::District, Some(own)) if own == district => Ok(()),
            (Role::District, Some(own)) => {
                Err(AuthError::Forbidden(format!("the admin of district {own} cannot act on district {district}")))
            }
            (role, _) => Err(AuthError::Forbidden(format!("a {role} token does not administer districts"))),
        }
    }

    /// Whether this holder oversees `district`'s cases: its admins and reviewers, and the city's.
    pub fn oversees(&self, district: &str) -> Result<(), AuthError> {
        match (self.role, &self.district) {
            (Role::City, _) => Ok(()),
            (Role::District | Role::Reviewer, Some(own)) if own == district => Ok(()),
            (Role::District | Role::Reviewer, Some(own)) => {
                Err(AuthError::Forbidden(format!("a {} of district {own} cannot see district {district}", self.role)))
            }
            (role, _) => Err(AuthError::Forbidden(format!("a {role} token does not oversee districts"))),
        }
    }

    /// Refuses anyone but a city admin.
    pub fn city(&self) -> Result<(), AuthError> {
        match self.role {
            Role::City => Ok(()),
            role => Err(AuthError::Forbidden(format!("only a city admin may do this, not a {role}"))),
        }
    }

    /// Refuses anyone who is not one of `roles`.
    pub fn one_of(&self, roles: &[Role]) -> Result<(), AuthError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(AuthError::Forbidden(format!("a {} may not do this (only {})", self.role, names.join(", "))))
    }

    /// The district a listing of an overseer covers: the one asked for, else their own (a city
    /// admin's: every district, `None`); refused outside the district they oversee.
    pub fn scope(&self, asked: Option<String>) -> Result<Option<String>, AuthError> {
        let district = asked.or_else(|| self.district.clone());
        match &district {
            Some(d) => self.oversees(d)?,
            None => self.city()?,
        }
        Ok(district)
    }
}

/// What a new token is for.
#[derive(Debug, Clone, Default)]
pub struct NewToken<'a> {
    /// Its role.
    pub role: Option<Role>,
    /// Its district (a district admin's, a reviewer's; an operator's is its unit's when it is a street).
    pub district: Option<&'a str>,
    /// Its unit (an operator's: a street code like `110105026`, or a department like `bj.heating`).
    pub unit: Option<&'a str>,
    /// A name for people.
    pub name: Option<&'a str>,
}

/// A token just made: the secret, shown once, and what it is.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Created {
    /// The secret: give it as `Authorization: Bearer <token>` or `MINYI_TOKEN`.
    pub token: String,
    /// What it is.
    #[serde(flatten)]
    pub staff: Staff,
}

/// One token as listed: never the secret, never its hash.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TokenInfo {
    /// What it is.
    #[serde(flatten)]
    pub staff: Staff,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// Who made it (a token id); none for the first.
    pub created_by: Option<String>,
    /// When it was revoked (Unix seconds); none while it is live.
    pub revoked_at: Option<i64>,
}

/// The tokens of one database.
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

fn invalid(field: &'static str, message: impl Into<String>) -> AuthError {
    AuthError::Invalid { field, message: message.into() }
}

/// What a token will be once its request is checked: role, district, unit and name.
struct Shape {
    role: Role,
    district: Option<String>,
    unit: Option<String>,
    name: Option<String>,
}

/// Checks what a token is asked to be and fills what follows from it (an operator's district from its
/// street).
fn shape(spec: &NewToken<'_>) -> Result<Shape, AuthError> {
    let role = spec.role.ok_or_else(|| invalid("role", "give one of city, district, operator, reviewer, client"))?;
    if let Some(d) = spec.district
        && minyi_model::divisions::district(d).is_none()
    {
        return Err(invalid("district", format!("{d:?} is not the code of a Beijing district (e.g. 110105)")));
    }
    if let Some(u) = spec.unit {
        let ok = !u.is_empty()
            && u.len() <= 64
            && u.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !ok {
            return Err(invalid("unit", format!("{u:?} is not a unit code (letters, digits, `.`, `-`, `_`; ≤ 64)")));
        }
    }
    let name = spec.name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 100) {
        return Err(invalid("name", "at most 100 characters"));
    }
    let district = spec.district.map(str::to_owned);
    let unit = spec.unit.map(str::to_owned);
    let (district, unit) = match role {
        Role::City if district.is_some() || unit.is_some() => {
            return Err(invalid("role", "a city admin has no district and no unit"));
        }
        Role::District | Role::Reviewer if district.is_none() => {
            return Err(invalid("district", format!("a {role} token needs --district")));
        }
        Role::District | Role::Reviewer | Role::Client if unit.is_some() => {
            return Err(invalid("unit", format!("a {role} token has no unit")));
        }
        Role::Operator => {
            let unit = unit.ok_or_else(|| invalid("unit", "an operator token needs --unit"))?;
            // A street's district is its code's first six digits.
            let of_street = minyi_model::divisions::street(&unit).map(|(d, _)| d.code.to_owned());
            if let (Some(given), Some(street)) = (&district, &of_street)
                && given != street
            {
                return Err(invalid("district", format!("street {unit} is in district {street}, not {given}")));
            }
            (district.or(of_street), Some(unit))
        }
        _ => (district, unit),
    };
    Ok(Shape { role, district, unit, name: name.map(str::to_owned) })
}

impl Admins {
    /// Opens (creating the tables when new) the tokens of an SQLite file, or of a `postgres://` URL.
    pub fn open_url(db: &str) -> Result<Admins, AuthError> {
        Ok(Admins { db: Db::open_url(db, SCHEMA)? })
    }

    /// Makes a token. The first token of a new database is a city admin's and needs no token; after that
    /// a city admin makes any, and a district admin makes those of its own district (its operators,
    /// reviewers, clients and fellow admins). Returns the secret (shown once, stored hashed) and what it is.
    pub fn create(&self, by: Option<&Staff>, spec: &NewToken<'_>) -> Result<Created, AuthError> {
        let Shape { role, district, unit, name } = shape(spec)?;
        if let Some(by) = by {
            match by.role {
                Role::City => {}
                Role::District if role != Role::City && district == by.district => {}
                Role::District => {
                    return Err(AuthError::Forbidden(format!(
                        "the admin of district {} makes tokens of its own district only",
                        by.district.as_deref().unwrap_or("?")
                    )));
                }
                other => return Err(AuthError::Forbidden(format!("a {other} token cannot make tokens"))),
            }
        }
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| AuthError::Randomness(e.to_string()))?;
        let token = format!("minyi_{}", hex::encode(raw));
        let hash = token_hash(&token);
        let staff = Staff { id: hash[..12].to_owned(), role, district, unit, name };
        self.db.transaction(|tx| {
            // The first token is made once, even by two hosts at the same moment.
            tx.lock_key("tokens")?;
            let existing = tx.query_opt("SELECT COUNT(*) FROM tokens", &[])?.map_or(Ok(0), |r| r.int(0))?;
            match by {
                Some(_) => {}
                None if existing == 0 && role == Role::City => {}
                None if existing == 0 => {
                    return Err(invalid("role", "the first token of a database is the city admin's (--role city)"));
                }
                None => return Err(AuthError::Unauthenticated),
            }
            tx.execute(
                "INSERT INTO tokens (token_sha256, id, role, district, unit, name, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    hash.as_str(),
                    staff.id.as_str(),
                    role.as_str(),
                    staff.district.as_deref(),
                    staff.unit.as_deref(),
                    staff.name.as_deref(),
                    now(),
                    by.map(|b| b.id.as_str())
                ],
            )?;
            Ok(())
        })?;
        tracing::info!(id = %staff.id, role = %role, district = staff.district, by = by.map(|b| b.id.as_str()), "token created");
        Ok(Created { token, staff })
    }

    /// Makes an admin token: a district's admin, or without a district a city admin's. The secret.
    pub fn create_admin(&self, by: Option<&Staff>, district: Option<&str>) -> Result<String, AuthError> {
        let role = if district.is_some() { Role::District } else { Role::City };
        Ok(self.create(by, &NewToken { role: Some(role), district, ..NewToken::default() })?.token)
    }

    /// The holder of a live token.
    pub fn authenticate(&self, token: &str) -> Result<Staff, AuthError> {
        let hash = token_hash(token);
        let row = self.db.run(|c| {
            c.query_opt(
                "SELECT id, role, district, unit, name FROM tokens WHERE token_sha256 = $1 AND revoked_at IS NULL",
                params![hash.as_str()],
            )
        })?;
        let row = row.ok_or(AuthError::Unauthenticated)?;
        staff_of(&row)
    }

    /// The tokens `by` may see: a city admin's, all; a district admin's, its district's.
    pub fn list(&self, by: &Staff) -> Result<Vec<TokenInfo>, AuthError> {
        let district = match by.role {
            Role::City => None,
            Role::District => by.district.clone(),
            other => return Err(AuthError::Forbidden(format!("a {other} token cannot list tokens"))),
        };
        let rows = self.db.run(|c| {
            c.query(
                "SELECT id, role, district, unit, name, created_at, created_by, revoked_at FROM tokens \
                 WHERE CAST($1 AS TEXT) IS NULL OR district = $1 ORDER BY created_at, id",
                params![district.as_deref()],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    staff: staff_of(r)?,
                    created_at: r.int(5)?,
                    created_by: r.opt_text(6)?,
                    revoked_at: r.opt_int(7)?,
                })
            })
            .collect()
    }

    /// Revokes the token with id `id` (as listed): from then on it authenticates nobody. A city admin
    /// revokes any, a district admin those of its district; the last live city admin is kept.
    pub fn revoke(&self, by: &Staff, id: &str) -> Result<TokenInfo, AuthError> {
        let info =
            self.list(by)?.into_iter().find(|t| t.staff.id == id).ok_or_else(|| AuthError::NotFound(id.to_owned()))?;
        if info.staff.role == Role::City {
            by.city()?;
        }
        self.db.transaction(|tx| {
            tx.lock_key("tokens")?;
            if info.staff.role == Role::City {
                let live = tx
                    .query_opt(
                        "SELECT COUNT(*) FROM tokens WHERE role = 'city' AND revoked_at IS NULL AND id <> $1",
                        params![id],
                    )?
                    .map_or(Ok(0), |r| r.int(0))?;
                if live == 0 {
                    return Err(AuthError::Forbidden(
                        "this is the last city admin: make another before revoking it".into(),
                    ));
                }
            }
            tx.execute("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", params![id, now()])?;
            Ok(())
        })?;
        tracing::info!(id, by = %by.id, "token revoked");
        self.list(by)?.into_iter().find(|t| t.staff.id == id).ok_or_else(|| AuthError::NotFound(id.to_owned()))
    }
}

fn staff_of(row: &minyi_db::Row) -> Result<Staff, AuthError> {
    let role = row.text(1)?;
    Ok(Staff {
        id: row.text(0)?,
        role: Role::parse(&role).ok_or_else(|| AuthError::Db(format!("stored role {role:?} is unknown")))?,
        district: row.opt_text(2)?,
        unit: row.opt_text(3)?,
        name: row.opt_text(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(role: Role, district: Option<&'static str>, unit: Option<&'static str>) -> NewToken<'static> {
        NewToken { role: Some(role), district, unit, name: None }
    }

    #[test]
    fn the_first_token_is_the_city_and_each_role_makes_what_it_may() -> Result<(), AuthError> {
        let dir = std::env::temp_dir().join(format!("minyi-auth-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| AuthError::Db(e.to_string()))?;
        let admins = Admins::open_url(&dir.join("a.db").to_string_lossy())?;
        assert!(matches!(
            admins.create(None, &token(Role::District, Some("110105"), None)),
            Err(AuthError::Invalid { field: "role", .. })
        ));
        let city = admins.create(None, &token(Role::City, None, None))?;
        let city = admins.authenticate(&city.token)?;
        assert_eq!((city.role, city.district.as_deref()), (Role::City, None));
        assert!(
            matches!(admins.create(None, &token(Role::City, None, None)), Err(AuthError::Unauthenticated)),
            "only the first needs none"
        );
        let chaoyang =
            admins.authenticate(&admins.create(Some(&city), &token(Role::District, Some("110105"), None))?.token)?;
        assert!(matches!(admins.create(Some(&chaoyang), &token(Role::City, None, None)), Err(AuthError::Forbidden(_))));
        assert!(matches!(
            admins.create(Some(&chaoyang), &token(Role::Reviewer, Some("110108"), None)),
            Err(AuthError::Forbidden(_))
        ));
        let op = admins.create(Some(&chaoyang), &token(Role::Operator, None, Some("110105026")))?;
        assert_eq!(op.staff.district.as_deref(), Some("110105"), "a street's district follows from its code");
        let op_token = op.token;
        let op = admins.authenticate(&op_token)?;
        assert!(matches!(admins.create(Some(&op), &token(Role::Client, None, None)), Err(AuthError::Forbidden(_))));
        assert!(matches!(
            admins.create(Some(&city), &token(Role::Operator, Some("110108"), Some("110105026"))),
            Err(AuthError::Invalid { field: "district", .. })
        ));
        assert!(matches!(
            admins.create(Some(&city), &token(Role::District, Some("999999"), None)),
            Err(AuthError::Invalid { field: "district", .. })
        ));
        assert!(matches!(
            admins.create(Some(&city), &token(Role::Operator, None, Some("bad code!"))),
            Err(AuthError::Invalid { field: "unit", .. })
        ));
        assert!(chaoyang.administers("110105").is_ok());
        assert!(matches!(chaoyang.administers("110108"), Err(AuthError::Forbidden(_))));
        assert!(op.administers("110105").is_err(), "an operator administers nothing");
        assert_eq!(chaoyang.scope(None)?, Some("110105".into()));
        assert!(chaoyang.scope(Some("110108".into())).is_err());
        assert_eq!(city.scope(None)?, None);

        // Listing and revoking: a district sees its own; a revoked token authenticates nobody.
        assert_eq!(admins.list(&city)?.len(), 3);
        assert_eq!(admins.list(&chaoyang)?.len(), 2);
        assert!(admins.list(&op).is_err());
        assert!(matches!(admins.revoke(&chaoyang, &city.id), Err(AuthError::NotFound(_))));
        assert!(matches!(admins.revoke(&city, &city.id), Err(AuthError::Forbidden(_))), "the last city admin stays");
        let revoked = admins.revoke(&chaoyang, &op.id)?;
        assert!(revoked.revoked_at.is_some());
        assert!(matches!(admins.authenticate(&op_token), Err(AuthError::Unauthenticated)));
        assert!(admins.list(&city)?.iter().all(|t| !format!("{t:?}").contains("minyi_")), "no secrets listed");
        assert!(matches!(admins.authenticate("minyi_nope"), Err(AuthError::Unauthenticated)));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
