//! Who may read a stored case: the city's admins, its district's admins and reviewers, and the
//! operators of the units that hold it now (lead or co-handler). Shared by the case API and
//! `minyi case`, so both refuse the same way.

use crate::AppError;
use minyi_auth::{AuthError, Role, Staff};
use minyi_cases::CaseStore;

/// Refuses a token that may not read the case; a case with no district (unreadable) is the city's.
pub(crate) fn may_read(staff: &Staff, store: &CaseStore, case_id: &str) -> Result<(), AppError> {
    match staff.role {
        Role::Operator => {
            let unit = staff.unit.as_deref().unwrap_or_default();
            if store.held_by(case_id, unit)? {
                Ok(())
            } else {
                Err(AuthError::Forbidden(format!("unit {unit} does not hold case {case_id}")).into())
            }
        }
        Role::Client => {
            store.district_of(case_id)?;
            Err(AuthError::Forbidden("a client token does not read the case file".into()).into())
        }
        Role::City | Role::District | Role::Reviewer => {
            let district = store.district_of(case_id)?;
            Ok(staff.oversees(district.as_deref().unwrap_or_default())?)
        }
    }
}
