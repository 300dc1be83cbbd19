import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { AuditEntry } from "./audit-entry.entity";
import { AuditLoaders } from "./audit.loaders";
import { AuditResolver } from "./audit.resolver";
import { AuditService } from "./audit.service";

/** The audit trail: written by every settings change (`writeAudit`), read by ADMIN. */
export const auditModule = defineModule({
  name: "audit",
  entities: [AuditEntry],
  resolvers: [AuditResolver],
  providers: [
    provide(AuditService, (c) => new AuditService(c.get(DataSource))),
    provide(AuditLoaders, (c) => new AuditLoaders(c.get(AuditService))),
  ],
});
