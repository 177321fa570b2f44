/** @module Interface psa:connector/types@0.2.0 **/
/**
 * ------------------------------------------------------------------------------------------
 * Connector description and settings form
 * ------------------------------------------------------------------------------------------
 * How a host should render and treat one settings field.
 * # Variants
 * 
 * ## `"text"`
 * 
 * Free text (a tenant name, a client id, a scope list).
 * ## `"url"`
 * 
 * An absolute URL. Hosts derive the connector's egress allow-list from the values of
 * url fields: scheme, host and port of each one.
 * ## `"secret"`
 * 
 * A credential. Hosts store it encrypted, mask it in forms and never log it.
 */
export type FieldKind = 'text' | 'url' | 'secret';
/**
 * One field of the connection form a host shows for this connector.
 */
export interface SettingField {
  /**
   * Key under which the value is passed to `session.open` (for example `base_url`).
   */
  key: string,
  /**
   * Human label for the form (for example "Base URL").
   */
  label: string,
  /**
   * How hosts render and store the value.
   */
  kind: FieldKind,
  /**
   * The session cannot be opened without it.
   */
  required: boolean,
  /**
   * Value used when the field is left empty, if any.
   */
  defaultValue?: string,
  /**
   * One or two sentences telling the admin where to find the value.
   */
  help: string,
}
/**
 * A feature a connector implements. Hosts hide what a connector does not list; calling an
 * operation that is not listed returns `connector-error::unsupported`.
 * # Variants
 * 
 * ## `"test-connection"`
 * 
 * Implements `test-connection`.
 * ## `"list-organizations"`
 * 
 * Implements `list-organizations` and `get-organization`.
 * ## `"lookups"`
 * 
 * Implements `list-priorities`, `list-statuses`, `list-ticket-types` and `list-teams`.
 * ## `"suggest-mapping"`
 * 
 * Implements `suggest-mapping`.
 * ## `"validate-mapping"`
 * 
 * Implements `validate-mapping`.
 * ## `"create-ticket"`
 * 
 * Implements `create-ticket`.
 * ## `"get-ticket"`
 * 
 * Implements `get-ticket`.
 * ## `"list-tickets"`
 * 
 * Implements `list-tickets`.
 * ## `"update-ticket"`
 * 
 * Implements `update-ticket`.
 * ## `"add-note"`
 * 
 * Implements `add-note`.
 * ## `"close-ticket"`
 * 
 * Implements `close-ticket`.
 * ## `"sync-alert"`
 * 
 * Implements `sync-alert`.
 * ## `"resolve-alert"`
 * 
 * Implements `resolve-alert`.
 * ## `"ticket-states"`
 * 
 * Implements `ticket-states`.
 */
export type Capability = 'test-connection' | 'list-organizations' | 'lookups' | 'suggest-mapping' | 'validate-mapping' | 'create-ticket' | 'get-ticket' | 'list-tickets' | 'update-ticket' | 'add-note' | 'close-ticket' | 'sync-alert' | 'resolve-alert' | 'ticket-states';
/**
 * What `info` returns: enough for a host to list the connector and render its setup screen
 * without knowing anything about the PSA behind it.
 */
export interface ConnectorInfo {
  /**
   * Connector name, for example "halopsa".
   */
  name: string,
  /**
   * The PSA product, for example "HaloPSA".
   */
  psaName: string,
  /**
   * The connector's own version (semver).
   */
  version: string,
  /**
   * Version of this WIT contract the connector was built against (semver).
   */
  contractVersion: string,
  /**
   * The operations the connector implements; hosts hide the rest.
   */
  capabilities: Array<Capability>,
  /**
   * The connection form, in display order.
   */
  settingsForm: Array<SettingField>,
}
/**
 * Settings as key/value pairs, keys as in `setting-field.key`. Empty values count as absent.
 */
export type Settings = Array<[string, string]>;
/**
 * ------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------
 * A problem with one setting.
 */
export interface SettingProblem {
  /**
   * The setting's key, when one setting is to blame.
   */
  key?: string,
  /**
   * What is wrong and how to fix it, fit to show an admin.
   */
  message: string,
}
/**
 * An error answered by the PSA that has no more specific case.
 */
export interface RemoteError {
  /**
   * HTTP status the PSA answered with.
   */
  status: number,
  /**
   * The PSA's own message, cleaned of markup and secrets.
   */
  message: string,
  /**
   * The endpoint that failed, without query string (for example `POST /api/Tickets`).
   */
  endpoint: string,
}
/**
 * A response the connector could not understand.
 */
export interface InvalidResponse {
  /**
   * The endpoint that answered (for example `GET /api/Client`).
   */
  endpoint: string,
  /**
   * What was wrong (not JSON, a wrong field type, a truncated body...).
   */
  message: string,
}
/**
 * Every failure a connector reports. Messages never contain secrets or tokens.
 */
export type ConnectorError = ConnectorErrorInvalidSettings | ConnectorErrorAuthFailed | ConnectorErrorPermissionDenied | ConnectorErrorNotFound | ConnectorErrorUnmappedTenant | ConnectorErrorRateLimited | ConnectorErrorRemote | ConnectorErrorInvalidResponse | ConnectorErrorTransport | ConnectorErrorUnsupported | ConnectorErrorInvalidInput;
/**
 * A setting is missing or malformed, or the PSA's answer shows a setting is wrong
 * (for example an authorisation server on a host the allow-list does not include).
 */
export interface ConnectorErrorInvalidSettings {
  tag: 'invalid-settings',
  val: SettingProblem,
}
/**
 * The PSA refused the credentials. Carries the PSA's message and a hint.
 */
export interface ConnectorErrorAuthFailed {
  tag: 'auth-failed',
  val: string,
}
/**
 * The credentials work but lack a permission for this operation.
 */
export interface ConnectorErrorPermissionDenied {
  tag: 'permission-denied',
  val: string,
}
/**
 * The named object does not exist (or the connector's agent cannot see it).
 */
export interface ConnectorErrorNotFound {
  tag: 'not-found',
  val: string,
}
/**
 * The host tenant has no organization in the mapping profile and there is no fallback.
 */
export interface ConnectorErrorUnmappedTenant {
  tag: 'unmapped-tenant',
  val: string,
}
/**
 * The PSA throttled the connector and retrying within the call's deadline did not help.
 * Retry after this many seconds.
 */
export interface ConnectorErrorRateLimited {
  tag: 'rate-limited',
  val: number,
}
/**
 * The PSA answered with an error status.
 */
export interface ConnectorErrorRemote {
  tag: 'remote',
  val: RemoteError,
}
/**
 * The PSA's answer could not be understood.
 */
export interface ConnectorErrorInvalidResponse {
  tag: 'invalid-response',
  val: InvalidResponse,
}
/**
 * The request did not complete: connection refused or reset, timeout, or the host
 * denied the request (egress allow-list).
 */
export interface ConnectorErrorTransport {
  tag: 'transport',
  val: string,
}
/**
 * The connector does not implement this operation or option.
 */
export interface ConnectorErrorUnsupported {
  tag: 'unsupported',
  val: string,
}
/**
 * The host passed an invalid argument (an empty summary, a malformed id...).
 */
export interface ConnectorErrorInvalidInput {
  tag: 'invalid-input',
  val: string,
}
/**
 * ------------------------------------------------------------------------------------------
 * Connection test
 * ------------------------------------------------------------------------------------------
 * The agent (user) the PSA says the credentials act as.
 */
export interface AgentIdentity {
  /**
   * The PSA's identifier for the agent (opaque).
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
  /**
   * Email address, when the PSA has one.
   */
  email?: string,
}
/**
 * One line of the connection report.
 */
export interface PermissionCheck {
  /**
   * Stable machine name: `read-organizations`, `read-tickets`, `create-tickets`,
   * `edit-tickets`, `read-lookups`.
   */
  name: string,
  /**
   * Human label, for example "Read customers".
   */
  label: string,
  /**
   * The credentials have this permission.
   */
  passed: boolean,
  /**
   * What to change in the PSA when the check failed.
   */
  hint?: string,
}
/**
 * What `test-connection` returns once a token was obtained.
 */
export interface ConnectionReport {
  /**
   * True when every check passed.
   */
  ok: boolean,
  /**
   * Where the token came from (token endpoint, without secrets).
   */
  tokenEndpoint: string,
  /**
   * The API root the connector talks to.
   */
  resourceUrl: string,
  /**
   * The scopes granted to the token, as the PSA reported them.
   */
  grantedScopes: Array<string>,
  /**
   * Who the token acts as, when the PSA says.
   */
  agent?: AgentIdentity,
  /**
   * One line per permission the connector needs.
   */
  checks: Array<PermissionCheck>,
}
/**
 * ------------------------------------------------------------------------------------------
 * Organizations and lookups
 * ------------------------------------------------------------------------------------------
 * A site (location, branch) of an organization.
 */
export interface Site {
  /**
   * The PSA's identifier for the site (opaque).
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
}
/**
 * A customer organization in the PSA.
 */
export interface Organization {
  /**
   * The PSA's identifier for the organization (Halo: a client id); opaque.
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
  /**
   * False when the organization is inactive in the PSA.
   */
  active: boolean,
  /**
   * Stable identifiers the PSA holds for the organization (account ids, references),
   * used by `suggest-mapping`.
   */
  externalIds: Array<string>,
  /**
   * Web domains known for the organization (from its website), lower case.
   */
  domains: Array<string>,
  /**
   * The main site, when the PSA names one.
   */
  mainSite?: Site,
}
/**
 * Which organizations to list.
 */
export interface OrganizationQuery {
  /**
   * Free-text search on the name; none lists all.
   */
  search?: string,
  /**
   * Include inactive organizations.
   */
  includeInactive: boolean,
  /**
   * 1-based page; none fetches every page.
   */
  page?: number,
  /**
   * Page size when `page` is set (the connector may cap it).
   */
  pageSize?: number,
}
/**
 * One page of `list-organizations` (or every match, when no page was asked for).
 */
export interface OrganizationPage {
  /**
   * The organizations on this page.
   */
  items: Array<Organization>,
  /**
   * Total number of matching organizations in the PSA.
   */
  total: number,
}
/**
 * A priority that can be written on a ticket.
 */
export interface Priority {
  /**
   * The value written on the ticket.
   */
  id: string,
  /**
   * Display name (for example "P1 - Critical").
   */
  name: string,
  /**
   * The service-level agreement (or other scope) the priority belongs to, if any.
   */
  scopeId?: string,
}
/**
 * A ticket status.
 */
export interface Status {
  /**
   * The PSA's identifier for the status (opaque).
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
  /**
   * A ticket in this status counts as closed.
   */
  closed: boolean,
}
/**
 * A ticket type (request type, service board...).
 */
export interface TicketType {
  /**
   * The PSA's identifier for the ticket type (opaque).
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
  /**
   * False when the type is inactive in the PSA.
   */
  active: boolean,
  /**
   * Agents (and so the connector) may create tickets of this type.
   */
  agentsCanSelect: boolean,
  /**
   * The scope its priorities come from (Halo: the ticket type's default SLA).
   */
  priorityScopeId?: string,
  /**
   * Priority new tickets of this type get, if the PSA sets one.
   */
  defaultPriorityId?: string,
  /**
   * Status new tickets of this type get, if the PSA sets one.
   */
  defaultStatusId?: string,
  /**
   * Team new tickets of this type are assigned to, as the PSA names it, if any.
   */
  defaultTeam?: string,
}
/**
 * A team (queue, board) tickets can be assigned to.
 */
export interface Team {
  /**
   * The PSA's identifier for the team (opaque).
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
  /**
   * False when the team is inactive in the PSA.
   */
  active: boolean,
}
/**
 * ------------------------------------------------------------------------------------------
 * Mapping
 * ------------------------------------------------------------------------------------------
 * A customer as the host platform knows it.
 */
export interface HostTenant {
  /**
   * The host's identifier for the tenant.
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
  /**
   * Stable identifiers (Microsoft tenant id, the PSA account id the customer gave...).
   */
  externalIds: Array<string>,
  /**
   * Domains the tenant owns (example.com).
   */
  domains: Array<string>,
}
/**
 * Why a suggestion was made, strongest first.
 * # Variants
 * 
 * ## `"external-id"`
 * 
 * A tenant external id equals an organization's stable identifier.
 * ## `"domain"`
 * 
 * A tenant domain equals an organization's web domain.
 * ## `"exact-name"`
 * 
 * Names equal, ignoring case and surrounding spaces.
 * ## `"normalized-name"`
 * 
 * Names equal after normalisation (punctuation, `&`/`and`, legal suffixes).
 * ## `"none"`
 * 
 * No organization matched, or several matched equally well.
 */
export type MatchBasis = 'external-id' | 'domain' | 'exact-name' | 'normalized-name' | 'none';
/**
 * A short reference to an organization.
 */
export interface OrganizationRef {
  /**
   * The PSA's identifier for the organization (opaque).
   */
  id: string,
  /**
   * Display name.
   */
  name: string,
}
/**
 * The best organization for one host tenant.
 */
export interface MappingSuggestion {
  /**
   * The host tenant the suggestion is for (`host-tenant.id`).
   */
  tenantId: string,
  /**
   * None when nothing matched or the match was ambiguous.
   */
  organization?: OrganizationRef,
  /**
   * 0-100; 100 for stable identifiers, less for names.
   */
  confidence: number,
  /**
   * What the match rests on; `none` when nothing matched.
   */
  basis: MatchBasis,
  /**
   * One sentence for the admin reviewing the mapping.
   */
  reason: string,
  /**
   * Other organizations that matched as well (ambiguous matches).
   */
  alternatives: Array<OrganizationRef>,
}
/**
 * Alert severity, highest first.
 * # Variants
 * 
 * ## `"critical"`
 * 
 * Highest severity.
 * ## `"high"`
 * 
 * Below critical.
 * ## `"medium"`
 * 
 * Below high.
 * ## `"low"`
 * 
 * Below medium.
 * ## `"info"`
 * 
 * Informational; lowest severity.
 */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
/**
 * How the connector keeps a PSA ticket in step with an alert.
 * # Variants
 * 
 * ## `"create-only"`
 * 
 * Every alert opens a ticket.
 * ## `"create-and-update"`
 * 
 * One ticket per alert key while it is open; a repeat adds a private note with an
 * occurrence count and raises the priority if the severity rose.
 * ## `"create-update-close"`
 * 
 * As above, and resolving the alert closes the ticket unless a technician touched it.
 * ## `"two-way"`
 * 
 * As above, and the host reads ticket states back (`ticket-states`).
 */
export type SyncStrategy = 'create-only' | 'create-and-update' | 'create-update-close' | 'two-way';
/**
 * Where a host tenant's tickets go.
 */
export interface TenantMapping {
  /**
   * The host tenant (`host-tenant.id`).
   */
  tenantId: string,
  /**
   * The PSA organization its tickets go to.
   */
  organizationId: string,
  /**
   * A specific site; none uses the organization's main site.
   */
  siteId?: string,
}
/**
 * Which priority an alert severity becomes.
 */
export interface PriorityMapping {
  /**
   * The alert severity.
   */
  severity: Severity,
  /**
   * The PSA priority tickets of that severity get (`priority.id`).
   */
  priorityId: string,
}
/**
 * One placement rule of a profile: which alerts it matches and where their tickets go.
 * Every condition that is set must hold; a rule without conditions matches every alert.
 */
export interface PlacementRule {
  /**
   * The rule's name, unique in the profile; `sync-outcome.rule` and findings name it.
   */
  name: string,
  /**
   * The alert category it matches (`alert.category`, compared ignoring case): an exact
   * category (`identity/impossible-travel`), or a prefix ending in `/*`
   * (`identity/*` matches `identity/impossible-travel`). None matches any category, also
   * an alert without one.
   */
  category?: string,
  /**
   * Matches alerts of this severity or higher; none matches every severity.
   */
  minSeverity?: Severity,
  /**
   * Matches alerts of these host tenants (`host-tenant.id`); empty matches every tenant.
   */
  tenants: Array<string>,
  /**
   * No ticket for a matching alert: `sync-alert` answers `skipped` naming this rule.
   */
  skip: boolean,
  /**
   * Ticket type (ConnectWise: board) for matching alerts; none keeps the profile's.
   */
  ticketTypeId?: string,
  /**
   * Team for matching alerts; none keeps the profile's.
   */
  teamId?: string,
  /**
   * Priority for matching alerts whatever their severity; none maps the severity as the
   * profile's `priorities` say.
   */
  priorityId?: string,
  /**
   * Status of new tickets for matching alerts; none keeps the profile's default status.
   */
  statusId?: string,
}
/**
 * The mapping strategy a host stores per PSA connection and passes to ticket operations.
 */
export interface MappingProfile {
  /**
   * Where each host tenant's tickets go.
   */
  tenants: Array<TenantMapping>,
  /**
   * Organization used for tenants missing from `tenants`; none makes them an error
   * (`unmapped-tenant`).
   */
  fallbackOrganizationId?: string,
  /**
   * Which priority each alert severity becomes; for a severity missing here the PSA decides.
   */
  priorities: Array<PriorityMapping>,
  /**
   * Status of new tickets; none lets the PSA decide (the ticket type's initial status).
   */
  defaultStatusId?: string,
  /**
   * Ticket type of new tickets; none uses the PSA's default.
   */
  ticketTypeId?: string,
  /**
   * Team new tickets are assigned to.
   */
  teamId?: string,
  /**
   * Category written on new tickets (PSA-specific text).
   */
  category?: string,
  /**
   * How tickets follow alerts (`sync-alert`, `resolve-alert`).
   */
  strategy: SyncStrategy,
  /**
   * A recurrence this many hours or less after the ticket closed re-opens it; later it
   * opens a new ticket that references the old one. 0 never re-opens.
   */
  reopenWindowHours: number,
  /**
   * Status a re-opened ticket gets; none uses `default-status-id`, then the PSA default.
   */
  reopenStatusId?: string,
  /**
   * Status used to close tickets; none uses the PSA's closed status.
   */
  closeStatusId?: string,
  /**
   * Placement rules for `sync-alert`, in order: the first rule that matches the alert
   * places it (or skips it); when none matches, the fields above (the default placement)
   * apply. `validate-mapping` checks every rule's targets as it checks the default's.
   */
  rules: Array<PlacementRule>,
  /**
   * The request source written on new tickets (HaloPSA: a ticket source id; ConnectWise:
   * a service source id), so the PSA's reports tell integration tickets apart; none lets
   * the PSA decide. `validate-mapping` checks that it exists.
   */
  sourceId?: string,
}
/**
 * One finding of `validate-mapping`.
 * # Variants
 * 
 * ## `"error"`
 * 
 * Tickets will fail or land wrongly; do not save the profile.
 * ## `"warning"`
 * 
 * Tickets will be created but something is off.
 * ## `"info"`
 * 
 * For information.
 */
export type FindingSeverity = 'error' | 'warning' | 'info';
/**
 * One finding of `validate-mapping`.
 */
export interface ValidationFinding {
  /**
   * How serious the finding is.
   */
  severity: FindingSeverity,
  /**
   * Stable machine code, for example `priority-not-in-sla`.
   */
  code: string,
  /**
   * What the finding is about (`ticket-type 12`, `tenant t-1`...).
   */
  subject: string,
  /**
   * What is wrong, in words for the admin.
   */
  message: string,
  /**
   * What to change, in the PSA or in the profile.
   */
  hint: string,
}
/**
 * What `validate-mapping` returns.
 */
export interface ValidationReport {
  /**
   * True when there is no finding of severity `error`.
   */
  ok: boolean,
  /**
   * Every finding, in the order the checks ran.
   */
  findings: Array<ValidationFinding>,
}
/**
 * ------------------------------------------------------------------------------------------
 * Tickets
 * ------------------------------------------------------------------------------------------
 * The person a ticket is for, when the host knows one.
 */
export interface Contact {
  /**
   * Full name, if known.
   */
  name?: string,
  /**
   * Email address, if known.
   */
  email?: string,
}
/**
 * A ticket the host asks for, in host terms; the connector applies the mapping profile.
 */
export interface TicketRequest {
  /**
   * The host tenant the ticket is for; the profile maps it to an organization.
   */
  tenantId: string,
  /**
   * The alert severity; the profile maps it to a priority.
   */
  severity: Severity,
  /**
   * One-line summary (the ticket title).
   */
  summary: string,
  /**
   * Plain text; the connector escapes it for the PSA.
   */
  details: string,
  /**
   * The person the ticket is for, if any.
   */
  contact?: Contact,
}
/**
 * A ticket as the connector reads it back.
 */
export interface Ticket {
  /**
   * The PSA's identifier for the ticket (opaque).
   */
  id: string,
  /**
   * The number agents see (may equal `id`).
   */
  number: string,
  /**
   * Link to the ticket in the PSA's agent UI.
   */
  url?: string,
  /**
   * The ticket's summary (title).
   */
  summary: string,
  /**
   * The organization the ticket belongs to (Halo: a client id).
   */
  organizationId?: string,
  /**
   * The organization's name, when the PSA returns it.
   */
  organizationName?: string,
  /**
   * The ticket's current status (`status.id`).
   */
  statusId: string,
  /**
   * The status name, when the PSA returns it.
   */
  statusName?: string,
  /**
   * The ticket's status counts as closed.
   */
  closed: boolean,
  /**
   * The ticket's priority (`priority.id`).
   */
  priorityId?: string,
  /**
   * The ticket's type (`ticket-type.id`).
   */
  ticketTypeId?: string,
  /**
   * Team the ticket is assigned to, as the PSA names it.
   */
  team?: string,
  /**
   * RFC 3339 UTC timestamps as the PSA reported them.
   */
  createdAt?: string,
  /**
   * When the ticket last had an action (note, status change...).
   */
  lastActionAt?: string,
  /**
   * When the ticket was closed; none while it is open.
   */
  closedAt?: string,
  /**
   * The ticket was created by this connector (it carries the connector's reference).
   */
  createdByConnector: boolean,
  /**
   * The alert key recorded on the ticket, when it was created by `sync-alert`.
   */
  alertKey?: string,
}
/**
 * Whose tickets `list-tickets` returns (the "Show all" toggle).
 * # Variants
 * 
 * ## `"own"`
 * 
 * Only tickets this connector created.
 * ## `"all"`
 * 
 * Every ticket the credentials can see.
 */
export type TicketScope = 'own' | 'all';
/**
 * Which tickets `list-tickets` returns.
 */
export interface TicketQuery {
  /**
   * Only tickets of this organization; none for every organization.
   */
  organizationId?: string,
  /**
   * Own tickets or all tickets.
   */
  scope: TicketScope,
  /**
   * Only tickets whose status does not count as closed.
   */
  openOnly: boolean,
  /**
   * 1-based page; none fetches every page.
   */
  page?: number,
  /**
   * Page size when `page` is set (the connector may cap it).
   */
  pageSize?: number,
}
/**
 * One page of `list-tickets` (or every match, when no page was asked for).
 */
export interface TicketPage {
  /**
   * The tickets on this page.
   */
  items: Array<Ticket>,
  /**
   * Total number of matching tickets, not just this page.
   */
  total: number,
}
/**
 * Changes to a ticket; absent fields are left alone.
 */
export interface TicketUpdate {
  /**
   * New priority (`priority.id`).
   */
  priorityId?: string,
  /**
   * New status (`status.id`).
   */
  statusId?: string,
  /**
   * New summary; must not be empty.
   */
  summary?: string,
  /**
   * New team (`team.id`).
   */
  teamId?: string,
  /**
   * Further PSA fields by name, values as text (Halo: `category_1`, `impact`...).
   */
  fields: Array<[string, string]>,
}
/**
 * A note (Halo: an action) on a ticket.
 */
export interface Note {
  /**
   * The note's text, plain text; the connector escapes it for the PSA.
   */
  text: string,
  /**
   * Hidden from the end user.
   */
  'private': boolean,
}
/**
 * ------------------------------------------------------------------------------------------
 * Audit
 * ------------------------------------------------------------------------------------------
 * One HTTP request the connector made.
 */
export interface HttpExchange {
  /**
   * HTTP method, for example "GET".
   */
  method: string,
  /**
   * Path without query string and without secrets.
   */
  path: string,
  /**
   * HTTP status; 0 when no response arrived.
   */
  status: number,
  /**
   * Duration in milliseconds.
   */
  millis: number,
  /**
   * 1 for the first try, 2 and up for retries.
   */
  attempt: number,
}
/**
 * A PSA object the operation created or changed, for example kind "ticket", id "1042".
 */
export interface ObjectRef {
  /**
   * Kind of object, for example "ticket" or "action".
   */
  kind: string,
  /**
   * The PSA's identifier for the object (opaque).
   */
  id: string,
}
/**
 * What a mutating operation did, for the host's audit log. Never contains secrets.
 */
export interface AuditRecord {
  /**
   * The WIT operation name, for example "sync-alert".
   */
  operation: string,
  /**
   * The decision taken, in words (for example "created", "noted: occurrence 3").
   */
  decision: string,
  /**
   * Every HTTP request made, in order, retries included.
   */
  requests: Array<HttpExchange>,
  /**
   * Requests that were retries of an earlier one.
   */
  retries: number,
  /**
   * Objects the operation created.
   */
  created: Array<ObjectRef>,
  /**
   * Objects the operation changed.
   */
  changed: Array<ObjectRef>,
}
/**
 * Result of `create-ticket`, `update-ticket` and `close-ticket`.
 */
export interface TicketChange {
  /**
   * The ticket as it stands after the change.
   */
  ticket: Ticket,
  /**
   * What the operation did.
   */
  audit: AuditRecord,
}
/**
 * Result of `add-note`.
 */
export interface NoteAdded {
  /**
   * The PSA's identifier for the new note (Halo: an action id); opaque.
   */
  noteId: string,
  /**
   * The ticket the note was added to.
   */
  ticketId: string,
  /**
   * What the operation did.
   */
  audit: AuditRecord,
}
/**
 * ------------------------------------------------------------------------------------------
 * Alert lifecycle
 * ------------------------------------------------------------------------------------------
 * One structured fact about an alert (evidence), for example name "IP address", value
 * "203.0.113.9". Connectors render the facts as a readable list in the ticket.
 */
export interface Fact {
  /**
   * What the fact is (user, device, IP address, time...).
   */
  name: string,
  /**
   * Its value, plain text (escaped for the PSA like the details).
   */
  value: string,
}
/**
 * An alert from the host platform.
 * 
 * Every text field is untrusted (attackers write phishing subjects, file names and user
 * agents): connectors store it as inert text, escaped where the PSA renders HTML, quoted
 * where it reaches a query, with control characters removed and over-long text cut.
 */
export interface Alert {
  /**
   * Stable key of the condition (the same for every recurrence), for example
   * "tenant-7/mfa-disabled/alice". The connector records it in the PSA so that a host that
   * lost its link still finds the ticket.
   */
  key: string,
  /**
   * Identifier of this occurrence; re-sending the same occurrence changes nothing.
   */
  occurrenceId?: string,
  /**
   * The host tenant the alert is for; the profile maps it to an organization.
   */
  tenantId: string,
  /**
   * The alert severity; the profile maps it to a priority.
   */
  severity: Severity,
  /**
   * One-line summary (the ticket title).
   */
  summary: string,
  /**
   * Plain text; the connector escapes it for the PSA.
   */
  details: string,
  /**
   * The person the alert concerns, if any. Connectors link the PSA's own user with that
   * email in the mapped organization when one exists, else the organization's default
   * user with the contact's name and email written in the details.
   */
  contact?: Contact,
  /**
   * PSA-generic kind of alert, `<area>/<kind>` in lower case (for example
   * `identity/impossible-travel`, `endpoint/malware`), matched by placement rules.
   */
  category?: string,
  /**
   * Link back to the alert in the host platform. Written where the PSA shows links, and
   * only when it is an absolute `https` URL (anything else is left out).
   */
  linkUrl?: string,
  /**
   * Structured evidence (user, device, IP, time), rendered as a readable list.
   */
  evidence: Array<Fact>,
}
/**
 * What `sync-alert` takes.
 */
export interface SyncRequest {
  /**
   * The alert to sync.
   */
  alert: Alert,
  /**
   * The ticket id the host stored from the last `sync-alert` for this key, if any.
   */
  link?: string,
}
/**
 * What `sync-alert` did.
 * # Variants
 * 
 * ## `"created"`
 * 
 * A new ticket was opened.
 * ## `"noted"`
 * 
 * The open ticket got a note (and maybe a higher priority).
 * ## `"reopened"`
 * 
 * The closed ticket was re-opened within the re-open window.
 * ## `"new-after-window"`
 * 
 * The ticket closed longer ago than the window; a new ticket references it.
 * ## `"unchanged"`
 * 
 * Nothing changed (the same occurrence was already recorded).
 * ## `"skipped"`
 * 
 * A placement rule with `skip` matched (`sync-outcome.rule` names it): no request was
 * made, no ticket exists for it, and `sync-outcome.ticket` is empty (its id is "").
 */
export type SyncDecision = 'created' | 'noted' | 'reopened' | 'new-after-window' | 'unchanged' | 'skipped';
/**
 * What `sync-alert` returns.
 */
export interface SyncOutcome {
  /**
   * What was done.
   */
  decision: SyncDecision,
  /**
   * The ticket to link the alert key to (store its id).
   */
  ticket: Ticket,
  /**
   * How many times the alert has occurred on this ticket.
   */
  occurrence: number,
  /**
   * The ticket that was closed too long ago, for `new-after-window`.
   */
  previousTicketId?: string,
  /**
   * Priority was raised because the severity rose.
   */
  priorityRaised: boolean,
  /**
   * The placement rule that placed (or skipped) the alert; none for the default
   * placement.
   */
  rule?: string,
  /**
   * What the operation did.
   */
  audit: AuditRecord,
}
/**
 * What `resolve-alert` did.
 * # Variants
 * 
 * ## `"closed"`
 * 
 * The ticket was closed with a note.
 * ## `"left-open-touched"`
 * 
 * A technician touched the ticket: a note says the alert resolved upstream, the ticket
 * stays open.
 * ## `"left-open-strategy"`
 * 
 * The strategy does not close tickets: a note was added, the ticket stays open.
 * ## `"already-closed"`
 * 
 * The ticket was already closed; nothing changed.
 * ## `"not-found"`
 * 
 * No ticket exists for the key.
 */
export type ResolveDecision = 'closed' | 'left-open-touched' | 'left-open-strategy' | 'already-closed' | 'not-found';
/**
 * What `resolve-alert` takes.
 */
export interface ResolveRequest {
  /**
   * The alert key (`alert.key`) whose condition cleared.
   */
  key: string,
  /**
   * The ticket id the host stored for this key, if any.
   */
  link?: string,
}
/**
 * What `resolve-alert` returns.
 */
export interface ResolveOutcome {
  /**
   * What was done.
   */
  decision: ResolveDecision,
  /**
   * The ticket concerned; none for `not-found`.
   */
  ticketId?: string,
  /**
   * Who touched the ticket, for `left-open-touched`.
   */
  touchedBy?: string,
  /**
   * What the operation did.
   */
  audit: AuditRecord,
}
/**
 * The state of one ticket, for two-way sync.
 */
export interface TicketState {
  /**
   * The ticket asked for (as passed to `ticket-states`).
   */
  ticketId: string,
  /**
   * False when the ticket no longer exists or cannot be seen.
   */
  found: boolean,
  /**
   * The ticket's current status (`status.id`); none when not found.
   */
  statusId?: string,
  /**
   * The status name, when the PSA returns it.
   */
  statusName?: string,
  /**
   * The ticket's status counts as closed.
   */
  closed: boolean,
  /**
   * When the ticket last had an action, RFC 3339 UTC.
   */
  lastActionAt?: string,
  /**
   * A person other than this connector's agent is assigned to the ticket or has acted on
   * it (a note, a status change): the test `resolve-alert` uses to leave a ticket open
   * (`left-open-touched`). May cost a request per ticket; see `ticket-states`.
   */
  touchedByPerson: boolean,
}
