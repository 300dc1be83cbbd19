/**
 * The one migration set, in the order it runs (on MySQL/MariaDB and SQLite alike). A new
 * migration is a new file here, added at the end of this list.
 */
import { CreateStatusTables1764100000000 } from "./1764100000000-CreateStatusTables";
import { SeedSystemStatuses1764100000001 } from "./1764100000001-SeedSystemStatuses";
import { CreateApiKeys1764100000002 } from "./1764100000002-CreateApiKeys";
import { CreateLeadsAndCalls1764100000003 } from "./1764100000003-CreateLeadsAndCalls";
import { CreateAuditLog1764100000004 } from "./1764100000004-CreateAuditLog";
import { CreateStatusRevision1764100000005 } from "./1764100000005-CreateStatusRevision";
import { ExactKeys1764100000006 } from "./1764100000006-ExactKeys";
import { Accounts1764100000007 } from "./1764100000007-Accounts";
import { LeadsAndCallsAtVolume1764100000008 } from "./1764100000008-LeadsAndCallsAtVolume";
import { NameWordsByAccount1764100000009 } from "./1764100000009-NameWordsByAccount";
import { ChangeLog1764100000010 } from "./1764100000010-ChangeLog";
import { ChangeFeed1764100000011 } from "./1764100000011-ChangeFeed";
import { Webhooks1764100000012 } from "./1764100000012-Webhooks";

export const MIGRATIONS = [
  CreateStatusTables1764100000000,
  SeedSystemStatuses1764100000001,
  CreateApiKeys1764100000002,
  CreateLeadsAndCalls1764100000003,
  CreateAuditLog1764100000004,
  CreateStatusRevision1764100000005,
  ExactKeys1764100000006,
  Accounts1764100000007,
  LeadsAndCallsAtVolume1764100000008,
  NameWordsByAccount1764100000009,
  ChangeLog1764100000010,
  ChangeFeed1764100000011,
  Webhooks1764100000012,
];
