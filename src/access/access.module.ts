import { defineModule } from "../common/feature-module";
import { ViewerResolver } from "./viewer.resolver";

/**
 * Who is calling: the principal, the roles and their permissions, the audience rule. Its
 * module brings only `viewer`; the rest is imported by the features that check access.
 */
export const accessModule = defineModule({
  name: "access",
  resolvers: [ViewerResolver],
});
