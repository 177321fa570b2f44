//! Matching host tenants to organizations: stable identifiers, then domains, then names.
//!
//! Names are compared twice: exactly (ignoring case and spacing), then normalised: accents
//! folded, `&` read as "and", punctuation dropped and legal suffixes (Ltd, Limited, Inc, LLC,
//! GmbH...) removed, so "Smith and Sons Ltd" finds "Smith & Sons Limited". When several
//! organizations match equally well, nothing is guessed: the admin picks.
//!
//! ```
//! use psa_connector_sdk::mapping::{domain_of, normalise, suggest};
//! use psa_connector_sdk::types::{HostTenant, MatchBasis, Organization};
//!
//! let org = |id: &str, name: &str, domains: &[&str]| Organization {
//!     id: id.into(),
//!     name: name.into(),
//!     active: true,
//!     external_ids: vec![],
//!     domains: domains.iter().map(|d| d.to_string()).collect(),
//!     main_site: None,
//! };
//! let organizations = [
//!     org("12", "Smith & Sons Limited", &[]),
//!     org("31", "Contoso", &["contoso.com"]),
//! ];
//! let tenant = |name: &str, domains: &[&str]| HostTenant {
//!     id: "t1".into(),
//!     name: name.into(),
//!     external_ids: vec![],
//!     domains: domains.iter().map(|d| d.to_string()).collect(),
//! };
//!
//! // A domain beats the name; a normalised name still finds "Smith & Sons Limited".
//! let by_domain = suggest(&tenant("Contoso EU", &["www.Contoso.com"]), &organizations);
//! assert_eq!((by_domain.basis, by_domain.organization.unwrap().id), (MatchBasis::Domain, "31".into()));
//! let by_name = suggest(&tenant("Smith and Sons Ltd", &[]), &organizations);
//! assert_eq!(by_name.basis, MatchBasis::NormalizedName);
//! assert_eq!(normalise("Smith and Sons Ltd"), normalise("Smith & Sons Limited"));
//! assert_eq!(domain_of("https://www.contoso.com/about").as_deref(), Some("contoso.com"));
//! // Nothing matches: nothing is guessed.
//! assert_eq!(suggest(&tenant("Fabrikam", &[]), &organizations).basis, MatchBasis::None);
//! ```

use crate::types::{HostTenant, MappingSuggestion, MatchBasis, Organization, OrganizationRef};

/// Legal-form words dropped from the end of a normalised name.
const LEGAL_SUFFIXES: &[&str] = &[
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "gmbh",
    "ag",
    "kg",
    "co",
    "company",
    "corp",
    "corporation",
    "plc",
    "pty",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "oy",
    "ab",
    "as",
    "aps",
    "kft",
    "sro",
    "pte",
    "pvt",
    "ug",
    "se",
];

/// The web domain of a website value, lower case, without `www.`.
pub fn domain_of(website: &str) -> Option<String> {
    let website = website.trim().to_ascii_lowercase();
    if website.is_empty() {
        return None;
    }
    let with_scheme = if website.contains("://") {
        website
    } else {
        format!("https://{website}")
    };
    let host = url::Url::parse(&with_scheme).ok()?.host_str()?.to_string();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    host.contains('.').then_some(host)
}

fn fold_char(c: char) -> &'static str {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => "a",
        'ä' | 'æ' => "ae",
        'ç' | 'č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' => "o",
        'ö' | 'œ' => "oe",
        'ù' | 'ú' | 'û' => "u",
        'ü' => "ue",
        'ß' => "ss",
        'š' | 'ś' => "s",
        'ž' | 'ź' | 'ż' => "z",
        'ł' => "l",
        _ => "",
    }
}

/// Case and surrounding/inner spacing ignored.
pub fn exact_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The normalised form of an organization name.
pub fn normalise(name: &str) -> String {
    let mut text = String::new();
    for c in name.to_lowercase().chars() {
        let folded = fold_char(c);
        if !folded.is_empty() {
            text.push_str(folded);
        } else if c == '&' || c == '+' {
            text.push_str(" and ");
        } else if c.is_alphanumeric() {
            text.push(c);
        } else if c == '\'' || c == '’' {
            // O'Brien == OBrien
        } else {
            text.push(' ');
        }
    }
    let mut words: Vec<&str> = text.split_whitespace().collect();
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

fn to_ref(org: &Organization) -> OrganizationRef {
    OrganizationRef {
        id: org.id.clone(),
        name: org.name.clone(),
    }
}

/// The best organization for one tenant.
pub fn suggest(tenant: &HostTenant, organizations: &[Organization]) -> MappingSuggestion {
    let ids: Vec<String> = tenant
        .external_ids
        .iter()
        .map(|i| i.trim().to_lowercase())
        .filter(|i| !i.is_empty())
        .collect();
    let domains: Vec<String> = tenant.domains.iter().filter_map(|d| domain_of(d)).collect();
    let exact = exact_key(&tenant.name);
    let normal = normalise(&tenant.name);

    type Rule<'a> = (
        MatchBasis,
        u8,
        Box<dyn Fn(&Organization) -> bool + 'a>,
        String,
    );
    let rules: Vec<Rule> = vec![
        (
            MatchBasis::ExternalId,
            100,
            Box::new(|o: &Organization| {
                o.external_ids
                    .iter()
                    .any(|e| ids.contains(&e.trim().to_lowercase()))
            }),
            "an external id of the tenant equals the organization's reference".into(),
        ),
        (
            MatchBasis::Domain,
            95,
            Box::new(|o: &Organization| o.domains.iter().any(|d| domains.contains(d))),
            "a domain of the tenant is the organization's website".into(),
        ),
        (
            MatchBasis::ExactName,
            90,
            Box::new(|o: &Organization| !exact.is_empty() && exact_key(&o.name) == exact),
            "same name".into(),
        ),
        (
            MatchBasis::NormalizedName,
            75,
            Box::new(|o: &Organization| !normal.is_empty() && normalise(&o.name) == normal),
            format!(
                "same name once case, punctuation, '&' and legal suffixes are ignored ('{normal}')"
            ),
        ),
    ];
    for (basis, confidence, matches, why) in rules {
        let found: Vec<&Organization> = organizations.iter().filter(|o| matches(o)).collect();
        match found.as_slice() {
            [] => continue,
            [only] => {
                return MappingSuggestion {
                    tenant_id: tenant.id.clone(),
                    organization: Some(to_ref(only)),
                    confidence,
                    basis,
                    reason: format!("'{}' → '{}': {why}", tenant.name, only.name),
                    alternatives: vec![],
                }
            }
            several => {
                return MappingSuggestion {
                    tenant_id: tenant.id.clone(),
                    organization: None,
                    confidence: 0,
                    basis: MatchBasis::None,
                    reason: format!(
                        "'{}' matches {} organizations equally ({why}); choose one",
                        tenant.name,
                        several.len()
                    ),
                    alternatives: several.iter().map(|o| to_ref(o)).collect(),
                }
            }
        }
    }
    MappingSuggestion {
        tenant_id: tenant.id.clone(),
        organization: None,
        confidence: 0,
        basis: MatchBasis::None,
        reason: format!(
            "no organization matches '{}' by id, domain or name",
            tenant.name
        ),
        alternatives: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, name: &str, external: &[&str], website: Option<&str>) -> Organization {
        Organization {
            id: id.into(),
            name: name.into(),
            active: true,
            external_ids: external.iter().map(|s| s.to_string()).collect(),
            domains: website.and_then(domain_of).into_iter().collect(),
            main_site: None,
        }
    }

    fn tenant(name: &str, external: &[&str], domains: &[&str]) -> HostTenant {
        HostTenant {
            id: "t".into(),
            name: name.into(),
            external_ids: external.iter().map(|s| s.to_string()).collect(),
            domains: domains.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn orgs() -> Vec<Organization> {
        vec![
            org(
                "1",
                "Contoso Ltd",
                &["CONTOSO-001"],
                Some("https://www.contoso.com"),
            ),
            org("2", "Smith & Sons Limited", &[], None),
            org("3", "Adatum Corporation", &[], None),
            org("4", "Adatum Corp", &[], None),
            org("5", "Müller Bau GmbH", &[], None),
            org("6", "O'Brien Plumbing", &[], Some("obrien.ie")),
        ]
    }

    #[test]
    fn normalisation_folds_legal_forms_and_ampersands() {
        assert_eq!(normalise("Smith & Sons Limited"), "smith and sons");
        assert_eq!(normalise("SMITH AND SONS LTD."), "smith and sons");
        assert_eq!(normalise("Müller Bau GmbH"), "mueller bau");
        assert_eq!(normalise("Fabrikam, Inc."), "fabrikam");
        assert_eq!(normalise("The Co"), "co");
    }

    #[test]
    fn stable_ids_beat_names() {
        let s = suggest(&tenant("Something Else", &["contoso-001"], &[]), &orgs());
        assert_eq!(s.basis, MatchBasis::ExternalId);
        assert_eq!(s.organization.unwrap().id, "1");
        assert_eq!(s.confidence, 100);
    }

    #[test]
    fn domain_then_exact_then_normalised() {
        assert_eq!(
            suggest(&tenant("X", &[], &["OBRIEN.IE"]), &orgs()).basis,
            MatchBasis::Domain
        );
        assert_eq!(
            suggest(&tenant("contoso  ltd", &[], &[]), &orgs()).basis,
            MatchBasis::ExactName
        );
        let s = suggest(&tenant("Smith and Sons Ltd", &[], &[]), &orgs());
        assert_eq!(s.basis, MatchBasis::NormalizedName);
        assert_eq!(s.organization.unwrap().id, "2");
        assert_eq!(
            suggest(&tenant("Mueller Bau", &[], &[]), &orgs())
                .organization
                .unwrap()
                .id,
            "5"
        );
    }

    #[test]
    fn ambiguous_and_unknown_are_not_guessed() {
        let s = suggest(&tenant("Adatum Inc", &[], &[]), &orgs());
        assert!(s.organization.is_none());
        assert_eq!(s.alternatives.len(), 2);
        let s = suggest(&tenant("Nobody", &[], &[]), &orgs());
        assert!(s.organization.is_none() && s.alternatives.is_empty());
        assert_eq!(s.basis, MatchBasis::None);
    }
}
