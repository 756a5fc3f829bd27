//! Who may read a stored case: its district's admins and the city's. Shared by the case API and
//! `minyi case`, so both refuse the same way.

use crate::AppError;
use minyi_auth::Staff;
use minyi_cases::CaseStore;

/// Refuses an admin outside the case's district; a case with no district (unreadable) is a city admin's.
pub(crate) fn may_read(admin: &Staff, store: &CaseStore, case_id: &str) -> Result<(), AppError> {
    let district = store.district_of(case_id)?;
    Ok(admin.administers(district.as_deref().unwrap_or_default())?)
}
