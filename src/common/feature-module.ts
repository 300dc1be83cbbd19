/**
 * What a feature brings to the app, declared in its own folder (`<feature>/<feature>.module.ts`):
 * its tables, its GraphQL resolvers, and how its services (and per-request loaders) are made
 * from what the container already has. The composition root (`src/app.ts`) lists the modules
 * and wires them; nothing outside a feature's folder names its services.
 */
import type { Provider } from "./container";

export interface FeatureModule {
  /** The feature's folder name, for messages. */
  name: string;
  /** TypeORM entity classes of the tables the feature owns. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: Function[];
  /** type-graphql resolver classes (built by the container from their constructor types). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers?: Function[];
  /** How the feature's services, repositories and loaders are made. */
  providers?: Provider[];
}

/** Declares a feature module (an identity function, for the type). */
export function defineModule(module: FeatureModule): FeatureModule {
  return module;
}
