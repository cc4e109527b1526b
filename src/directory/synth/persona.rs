//! A generated user in its compact form ([`Persona`]) and its attributes spelled out on demand.

use super::data::{DEPARTMENTS, FIRST_NAMES, LAST_NAMES, PLACES, STREETS};
use super::{COMPANY, DOMAIN};
use crate::mapping::{SortedNames, SourceObject, Value};

/// The compact form of a generated user: indexes into the built-in lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Persona {
    pub(super) number: u32,
    pub(super) first: u16,
    pub(super) last: u16,
    /// 0 for the first user with this name, n for the (n+1)th: `james.smith{n+1}`.
    pub(super) duplicate: u16,
    pub(super) phone: u16,
    pub(super) mobile: u16,
    pub(super) street_number: u16,
    pub(super) department: u8,
    /// 0 CEO, 1 vice president, 2 director, 3 senior manager, 4 manager, 10+n individual title n.
    pub(super) title: u8,
    pub(super) place: u8,
    pub(super) street: u8,
    pub(super) building: u8,
}

/// The names of a generated user's attributes, in order: [`Persona::values`] gives their values.
const NAMES: SortedNames<21> = SortedNames::new([
    "city",
    "companyName",
    "country",
    "department",
    "displayName",
    "employeeId",
    "givenName",
    "jobTitle",
    "mail",
    "mailNickname",
    "mobile",
    "physicalDeliveryOfficeName",
    "postalCode",
    "preferredLanguage",
    "state",
    "streetAddress",
    "surname",
    "telephoneNumber",
    "usageLocation",
    "userPrincipalName",
    "userType",
]);

/// [`NAMES`] with the three attributes [`Directory::source_object`](crate::directory::Directory::source_object) adds, in order.
const SOURCE_NAMES: SortedNames<24> = SortedNames::new([
    "accountEnabled",
    "city",
    "companyName",
    "country",
    "department",
    "displayName",
    "employeeId",
    "givenName",
    "jobTitle",
    "mail",
    "mailNickname",
    "manager",
    "mobile",
    "objectId",
    "physicalDeliveryOfficeName",
    "postalCode",
    "preferredLanguage",
    "state",
    "streetAddress",
    "surname",
    "telephoneNumber",
    "usageLocation",
    "userPrincipalName",
    "userType",
]);

impl Persona {
    /// The user's attributes, spelled out.
    pub(crate) fn attributes(&self) -> SourceObject {
        SourceObject::from_sorted(&NAMES, self.values(), 0)
    }

    /// The user's attributes with `objectId`, `accountEnabled` and `manager` (`Null`: none), as
    /// [`Directory::source_object`](crate::directory::Directory::source_object) gives them: what [`Persona::attributes`] and three `set`s would build,
    /// without moving attributes aside for each.
    pub(crate) fn source_object(&self, object_id: Value, account_enabled: Value, manager: Value) -> SourceObject {
        let [city, company, country, department, display, employee, given, title, mail, nickname, rest @ ..] =
            self.values();
        let [mobile, office, postal, language, state, street, surname, phone, location, upn, kind] = rest;
        let values = [
            account_enabled,
            city,
            company,
            country,
            department,
            display,
            employee,
            given,
            title,
            mail,
            nickname,
            manager,
            mobile,
            object_id,
            office,
            postal,
            language,
            state,
            street,
            surname,
            phone,
            location,
            upn,
            kind,
        ];
        SourceObject::from_sorted(&SOURCE_NAMES, values, 0)
    }

    /// The values of [`NAMES`], in order.
    fn values(&self) -> [Value; 21] {
        let first = FIRST_NAMES[usize::from(self.first)];
        let last = LAST_NAMES[usize::from(self.last)];
        let dept = &DEPARTMENTS[usize::from(self.department)];
        let place = &PLACES[usize::from(self.place)];
        let nickname = self.mail_nickname();
        let upn = concat(&[&nickname, "@", DOMAIN]);
        let title = match self.title {
            0 => "Chief Executive Officer".to_string(),
            1 => concat(&["Vice President, ", dept.name]),
            2 => concat(&["Director, ", dept.name]),
            3 => "Senior Manager".to_string(),
            4 => "Manager".to_string(),
            n => dept.titles[usize::from(n.saturating_sub(10)) % dept.titles.len()].to_string(),
        };
        let text = |s: &str| Value::Str(s.to_string());
        // `{prefix…}{n:0width$}{suffix…}` in one allocation.
        let numbered = |prefix: &[&str], n: u32, width: usize, suffix: &[&str]| {
            let digits = n.checked_ilog10().map_or(1, |d| d as usize + 1).max(width);
            let parts = prefix.iter().chain(suffix).map(|p| p.len()).sum::<usize>();
            let mut out = String::with_capacity(parts + digits);
            prefix.iter().for_each(|p| out.push_str(p));
            push_padded(&mut out, n, width);
            suffix.iter().for_each(|p| out.push_str(p));
            Value::Str(out)
        };
        [
            text(place.city),
            text(COMPANY),
            text(place.country),
            text(dept.name),
            Value::Str(concat(&[first, " ", last])),
            numbered(&["E"], self.number, 6, &[]),
            text(first),
            Value::Str(title),
            Value::Str(upn.clone()),
            Value::Str(nickname),
            numbered(&[place.mobile], u32::from(self.mobile), 4, &[]),
            numbered(&[place.city, " "], u32::from(self.building), 1, &[]),
            text(place.postal_code),
            text(place.language),
            text(place.state),
            numbered(&[], u32::from(self.street_number), 1, &[" ", STREETS[usize::from(self.street)]]),
            text(last),
            numbered(&[place.phone], u32::from(self.phone), 4, &[]),
            text(place.usage_location),
            Value::Str(upn),
            text("Member"),
        ]
    }

    /// `first.last[n]@contoso.com`.
    pub(crate) fn user_principal_name(&self) -> String {
        concat(&[&self.mail_nickname(), "@", DOMAIN])
    }

    fn mail_nickname(&self) -> String {
        let first = FIRST_NAMES[usize::from(self.first)];
        let last = LAST_NAMES[usize::from(self.last)];
        let mut out = String::with_capacity(first.len() + last.len() + 6);
        out.push_str(first);
        out.push('.');
        out.push_str(last);
        out.make_ascii_lowercase();
        if self.duplicate > 0 {
            push_padded(&mut out, u32::from(self.duplicate) + 1, 1);
        }
        out
    }
}

/// The parts joined, in one allocation (`format!` costs several times more, and a cycle spells out every
/// user's attributes).
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    parts.iter().for_each(|p| out.push_str(p));
    out
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (`{n:0width$}`).
fn push_padded(out: &mut String, n: u32, width: usize) {
    let mut digits = [0u8; 10];
    let (mut n, mut start) = (n, digits.len());
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    (digits.len() - start..width).for_each(|_| out.push('0'));
    // ASCII digits only.
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_numbers_are_formatted_as_format_would() {
        for (n, width) in [(0, 1), (7, 4), (1234, 4), (12345, 4), (u32::MAX, 1), (u32::MAX, 12), (40, 6)] {
            let mut out = "x".to_string();
            push_padded(&mut out, n, width);
            assert_eq!(out, format!("x{n:0width$}"));
        }
    }
}
