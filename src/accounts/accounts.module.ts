import { DataSource } from "typeorm";
import { provide } from "../common/container";
import { defineModule } from "../common/feature-module";
import { APP_CONFIG } from "../config";
import { Account } from "../tenancy/account.entity";
import { AccountResolver, ViewerAccountResolver } from "./account.resolver";
import { AccountService } from "./account.service";

/** Accounts (the platform operator's): each created with the system statuses, never deleted. */
export const accountsModule = defineModule({
  name: "accounts",
  entities: [Account],
  resolvers: [AccountResolver, ViewerAccountResolver],
  providers: [
    provide(
      AccountService,
      (c) =>
        new AccountService(c.get(DataSource), {
          cacheSeconds: c.get(APP_CONFIG).auth.apiKeyCacheSeconds,
        }),
    ),
  ],
});
