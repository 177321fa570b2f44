//! Organizations: paging, search, mapping suggestions.

use psa_host::types::*;
use psa_mock::halo::seed_ids as ids;

use crate::common::*;

fn query(search: Option<&str>, page: Option<u32>, page_size: Option<u32>) -> OrganizationQuery {
    OrganizationQuery {
        search: search.map(Into::into),
        include_inactive: false,
        page,
        page_size,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_organizations_are_read_across_pages() {
    let (mock, mut session) = start().await;
    let all = ok(session.list_organizations(&query(None, None, None)).await);
    assert!(
        all.total > 200,
        "the mock seeds a few hundred clients: {}",
        all.total
    );
    assert_eq!(all.items.len() as u32, all.total);
    let pages = all.total.div_ceil(100) as u64;
    assert_eq!(
        mock.count("GET /api/client"),
        pages,
        "one request per page of 100"
    );
    assert!(
        all.items.iter().all(|o| o.active),
        "inactive clients are left out by default"
    );
    let mut ids_seen: Vec<&str> = all.items.iter().map(|o| o.id.as_str()).collect();
    ids_seen.sort();
    ids_seen.dedup();
    assert_eq!(ids_seen.len(), all.items.len(), "no organization twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_page_and_search() {
    let (_mock, mut session) = start().await;
    let page = ok(session
        .list_organizations(&query(None, Some(2), Some(25)))
        .await);
    assert_eq!(page.items.len(), 25);
    assert!(page.total > 25);
    let found = ok(session
        .list_organizations(&query(Some("adatum"), None, None))
        .await);
    let names: Vec<&str> = found.items.iter().map(|o| o.name.as_str()).collect();
    assert!(
        names.contains(&ids::CLIENT_ADATUM_CORP) && names.contains(&ids::CLIENT_ADATUM_CORPORATION),
        "{names:?}"
    );
    let contoso = ok(session
        .get_organization(&ids::CLIENT_CONTOSO_ID.to_string())
        .await);
    assert_eq!(contoso.name, ids::CLIENT_CONTOSO);
    assert!(contoso.domains.contains(&"contoso.com".to_string()));
    assert!(contoso.external_ids.contains(&"CONTOSO-001".to_string()));
    assert!(matches!(
        err(session.get_organization("999999").await),
        ConnectorError::NotFound(_)
    ));
    assert!(matches!(
        err(session.get_organization("12.5").await),
        ConnectorError::InvalidInput(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_suggestions_prefer_stable_ids_and_never_guess() {
    let (_mock, mut session) = start().await;
    let tenant = |id: &str, name: &str, external: &[&str], domains: &[&str]| HostTenant {
        id: id.into(),
        name: name.into(),
        external_ids: external.iter().map(|s| s.to_string()).collect(),
        domains: domains.iter().map(|s| s.to_string()).collect(),
    };
    let tenants = vec![
        tenant("t-id", "Renamed Contoso", &["contoso-001"], &[]),
        tenant("t-domain", "Fabrikam Europe", &[], &["fabrikam.com"]),
        tenant("t-exact", "wide world importers", &[], &[]),
        tenant("t-normal", "Smith and Sons Ltd", &[], &[]),
        tenant("t-umlaut", "Mueller Bau", &[], &[]),
        tenant("t-ambiguous", "Adatum", &[], &[]),
        tenant("t-none", "Nobody Anywhere", &[], &[]),
    ];
    let suggestions = ok(session.suggest_mapping(&tenants).await);
    let get = |id: &str| suggestions.iter().find(|s| s.tenant_id == id).unwrap();
    let org = |id: &str| get(id).organization.as_ref().map(|o| o.name.clone());
    assert_eq!(get("t-id").basis, MatchBasis::ExternalId);
    assert_eq!(org("t-id").as_deref(), Some(ids::CLIENT_CONTOSO));
    assert_eq!(get("t-domain").basis, MatchBasis::Domain);
    assert_eq!(org("t-domain").as_deref(), Some(ids::CLIENT_FABRIKAM));
    assert_eq!(get("t-exact").basis, MatchBasis::ExactName);
    assert_eq!(get("t-normal").basis, MatchBasis::NormalizedName);
    assert_eq!(org("t-normal").as_deref(), Some(ids::CLIENT_SMITH_AND_SONS));
    assert_eq!(org("t-umlaut").as_deref(), Some(ids::CLIENT_MULLER));
    assert_eq!(get("t-ambiguous").organization, None);
    assert_eq!(get("t-ambiguous").alternatives.len(), 2);
    assert_eq!(get("t-none").basis, MatchBasis::None);
    assert!(get("t-id").confidence > get("t-normal").confidence);
}
