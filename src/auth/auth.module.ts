import { DataSource } from "typeorm";
import { AccountService } from "../accounts/account.service";
import { provide } from "../common/container";
import { StartupError } from "../common/errors";
import { defineModule } from "../common/feature-module";
import { APP_CONFIG } from "../config";
import { LOGGER } from "../logger";
import { ApiKey } from "./api-key.entity";
import { ApiKeyResolver } from "./api-key.resolver";
import { ApiKeyService } from "./api-key.service";
import { Authenticator } from "./authenticate";
import { JwtVerifier } from "./jwt";

/** Credentials: API keys (made, listed, revoked, verified) and JWTs; who a request is. */
export const authModule = defineModule({
  name: "auth",
  entities: [ApiKey],
  resolvers: [ApiKeyResolver],
  providers: [
    provide(ApiKeyService, (c) => {
      const accounts = c.get(AccountService);
      const apiKeys = new ApiKeyService(c.get(DataSource), accounts, {
        cacheSeconds: c.get(APP_CONFIG).auth.apiKeyCacheSeconds,
        logger: c.get(LOGGER),
      });
      // An account turned off here refuses its keys here at once (elsewhere: within the cache time).
      accounts.onChange(() => apiKeys.forgetVerified());
      return apiKeys;
    }),
    provide(Authenticator, (c) => {
      const { jwt } = c.get(APP_CONFIG).auth;
      let verifier: JwtVerifier | undefined;
      try {
        verifier = jwt ? new JwtVerifier(jwt) : undefined;
      } catch (error) {
        throw new StartupError(`JWT_PUBLIC_KEY cannot be used: ${(error as Error).message}`);
      }
      return new Authenticator(c.get(ApiKeyService), c.get(AccountService), verifier);
    }),
  ],
});
