/**
 * A small dependency container: one instance of each service per app, made on first use from
 * the factory its feature module registered (see `feature-module.ts`). Resolvers need no
 * factory: a resolver class is built from its constructor's parameter types, each of which
 * must be a class the container can give (TypeScript records those types because resolvers
 * carry decorators and `emitDecoratorMetadata` is on). type-graphql asks it for resolvers.
 */
import "reflect-metadata";

/** A named value that is not a class (configuration, the logger). */
export class InjectionToken<T> {
  /** Never set: carries the type. */
  declare readonly type?: T;
  constructor(readonly name: string) {}
}

// A class of any constructor, as a key: what the container gives is its instance.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ClassToken<T> = abstract new (...args: any[]) => T;
export type Token<T> = ClassToken<T> | InjectionToken<T>;

/** Makes a value from what the container already has. */
export type Factory<T> = (container: Container) => T;

/** A factory for one token, as feature modules list them. */
export interface Provider<T = unknown> {
  token: Token<T>;
  create: Factory<T>;
}

export function provide<T>(token: Token<T>, create: Factory<T>): Provider<T> {
  return { token, create: create as Factory<T> };
}

function nameOf(token: Token<unknown>): string {
  return token instanceof InjectionToken ? token.name : token.name || "(anonymous class)";
}

export class Container {
  private readonly factories = new Map<Token<unknown>, Factory<unknown>>();
  private readonly instances = new Map<Token<unknown>, unknown>();
  private readonly making: Token<unknown>[] = [];

  /** Registers how `token` is made; each token once. */
  register<T>(provider: Provider<T>): this {
    if (this.factories.has(provider.token) || this.instances.has(provider.token)) {
      throw new Error(`${nameOf(provider.token)} is provided twice`);
    }
    this.factories.set(provider.token, provider.create as Factory<unknown>);
    return this;
  }

  /** Registers a value that already exists. */
  value<T>(token: Token<T>, value: T): this {
    return this.register({ token, create: () => value });
  }

  /** The one instance of `token`, made on first use. */
  get<T>(token: Token<T>): T {
    if (this.instances.has(token)) return this.instances.get(token) as T;
    if (this.making.includes(token)) {
      const chain = [...this.making.slice(this.making.indexOf(token)), token].map(nameOf);
      throw new Error(`dependency cycle: ${chain.join(" → ")}`);
    }
    this.making.push(token);
    try {
      const factory = this.factories.get(token);
      let instance: unknown;
      if (factory) instance = factory(this);
      else if (token instanceof InjectionToken) throw new Error(`${token.name} is not provided`);
      else instance = this.construct(token);
      this.instances.set(token, instance);
      return instance as T;
    } finally {
      this.making.pop();
    }
  }

  /** A class with no factory (a resolver): built from its constructor's parameter types. */
  private construct<T>(type: ClassToken<T>): T {
    const parameters: unknown[] = Reflect.getMetadata("design:paramtypes", type) ?? [];
    if (parameters.length !== type.length) {
      throw new Error(
        `${nameOf(type)} has no factory and its constructor's parameter types are not recorded`,
      );
    }
    const args = parameters.map((parameter, index) => {
      if (typeof parameter !== "function" || parameter === Object) {
        throw new Error(
          `${nameOf(type)}: constructor parameter ${index + 1} is not a class the container can give (an interface or a primitive); register a factory`,
        );
      }
      return this.get(parameter as ClassToken<unknown>);
    });
    return new (type as unknown as new (...values: unknown[]) => T)(...args);
  }
}
