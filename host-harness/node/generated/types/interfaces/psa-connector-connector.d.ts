/** @module Interface psa:connector/connector@0.2.0 **/
/**
 * Describes the connector and its settings form. Makes no request.
 */
export function info(): ConnectorInfo;
export type ConnectorInfo = import('./psa-connector-types.js').ConnectorInfo;
export type Settings = import('./psa-connector-types.js').Settings;
export type ConnectorError = import('./psa-connector-types.js').ConnectorError;
export type ConnectionReport = import('./psa-connector-types.js').ConnectionReport;
export type OrganizationQuery = import('./psa-connector-types.js').OrganizationQuery;
export type OrganizationPage = import('./psa-connector-types.js').OrganizationPage;
export type Organization = import('./psa-connector-types.js').Organization;
export type Priority = import('./psa-connector-types.js').Priority;
export type Status = import('./psa-connector-types.js').Status;
export type TicketType = import('./psa-connector-types.js').TicketType;
export type Team = import('./psa-connector-types.js').Team;
export type HostTenant = import('./psa-connector-types.js').HostTenant;
export type MappingSuggestion = import('./psa-connector-types.js').MappingSuggestion;
export type MappingProfile = import('./psa-connector-types.js').MappingProfile;
export type ValidationReport = import('./psa-connector-types.js').ValidationReport;
export type TicketRequest = import('./psa-connector-types.js').TicketRequest;
export type Ticket = import('./psa-connector-types.js').Ticket;
export type TicketQuery = import('./psa-connector-types.js').TicketQuery;
export type TicketPage = import('./psa-connector-types.js').TicketPage;
export type TicketUpdate = import('./psa-connector-types.js').TicketUpdate;
export type Note = import('./psa-connector-types.js').Note;
export type TicketChange = import('./psa-connector-types.js').TicketChange;
export type NoteAdded = import('./psa-connector-types.js').NoteAdded;
export type SyncRequest = import('./psa-connector-types.js').SyncRequest;
export type SyncOutcome = import('./psa-connector-types.js').SyncOutcome;
export type ResolveRequest = import('./psa-connector-types.js').ResolveRequest;
export type ResolveOutcome = import('./psa-connector-types.js').ResolveOutcome;
export type TicketState = import('./psa-connector-types.js').TicketState;

export class Session {
  /**
   * This type does not have a public constructor.
   */
  private constructor();
  /**
  * Validates the settings and opens a session. Makes no request: a malformed or
  * missing setting fails here with `invalid-settings`; wrong credentials show up at the
  * first operation (use `test-connection`).
  */
  static open(settings: Settings): Session;
  /**
  * Obtains a token and checks each permission the connector needs. Fails with
  * `auth-failed` (carrying the PSA's message and a hint) when no token can be obtained;
  * otherwise returns a report with one line per permission.
  */
  testConnection(): ConnectionReport;
  /**
  * Lists customer organizations, one page or all of them.
  */
  listOrganizations(query: OrganizationQuery): OrganizationPage;
  /**
  * Reads one organization.
  */
  getOrganization(id: string): Organization;
  /**
  * Priorities that can be written on tickets of the given type (priorities may depend
  * on the type: Halo's belong to the type's SLA). None uses the PSA's default type.
  */
  listPriorities(ticketTypeId: string | undefined): Array<Priority>;
  /**
  * Ticket statuses.
  */
  listStatuses(): Array<Status>;
  /**
  * Ticket types.
  */
  listTicketTypes(): Array<TicketType>;
  /**
  * Teams.
  */
  listTeams(): Array<Team>;
  /**
  * Proposes an organization for each host tenant: stable identifiers first, then
  * domains, then exact and normalised names; ambiguous matches are not guessed.
  */
  suggestMapping(tenants: Array<HostTenant>): Array<MappingSuggestion>;
  /**
  * Pre-flight check of a profile before the host saves it: organizations, ticket type,
  * required fields, priorities, statuses, team, note outcome, permissions.
  */
  validateMapping(profile: MappingProfile): ValidationReport;
  /**
  * Creates a ticket for a host tenant, applying the profile.
  */
  createTicket(profile: MappingProfile, request: TicketRequest): TicketChange;
  /**
  * Reads one ticket.
  */
  getTicket(id: string): Ticket;
  /**
  * Lists tickets: by organization, own or all, open or all, one page or all.
  */
  listTickets(query: TicketQuery): TicketPage;
  /**
  * Changes priority, status, summary, team or other fields of a ticket.
  */
  updateTicket(id: string, update: TicketUpdate): TicketChange;
  /**
  * Adds a note to a ticket.
  */
  addNote(id: string, note: Note): NoteAdded;
  /**
  * Closes a ticket, with an optional closing note.
  */
  closeTicket(profile: MappingProfile, id: string, note: string | undefined): TicketChange;
  /**
  * One alert, one ticket: creates, notes, re-opens or opens a new ticket according to
  * the profile's strategy. Finds the ticket by the alert key recorded in the PSA when
  * the host's link is missing or stale.
  */
  syncAlert(profile: MappingProfile, request: SyncRequest): SyncOutcome;
  /**
  * The alert cleared: closes its ticket unless a technician touched it.
  */
  resolveAlert(profile: MappingProfile, request: ResolveRequest): ResolveOutcome;
  /**
  * Reads back the state of many tickets in as few requests as the PSA allows.
  * 
  * `touched-by-person` is what `resolve-alert` would decide for the ticket. Its cost on
  * HaloPSA: one `GET /Tickets` per 100 distinct ids, plus one `GET /Actions` per found
  * ticket that is not assigned to a person and whose actions this session has not read
  * since the ticket's last action (Halo reads actions one ticket at a time). The first
  * poll of n tickets costs at most ceil(n / 100) + n requests; a later poll of the same
  * session costs ceil(n / 100) plus one per ticket that had a new action (a ticket once
  * touched stays touched). Plus the token and the connector's own agent (`/Agent/me`)
  * when the session has not cached them. At most 2000 ids per call: keep the session
  * between polls.
  */
  ticketStates(ids: Array<string>): Array<TicketState>;
}
