/** The container the feature modules register with (src/common/container.ts), without an app. */
import "reflect-metadata";
import { Resolver } from "type-graphql";
import { Container, InjectionToken, provide } from "../../src/common/container";

class Clock {
  now = () => 42;
}

class Greeter {
  constructor(readonly clock: Clock) {}
}

@Resolver()
class GreetingResolver {
  constructor(
    readonly greeter: Greeter,
    readonly clock: Clock,
  ) {}
}

interface Settings {
  name: string;
}
const SETTINGS = new InjectionToken<Settings>("settings");

describe("Container", () => {
  it("makes each provided service once, on first use, from its factory", () => {
    let made = 0;
    const container = new Container().register(provide(Clock, () => new Clock())).register(
      provide(Greeter, (c) => {
        made += 1;
        return new Greeter(c.get(Clock));
      }),
    );
    expect(made).toBe(0);
    const first = container.get(Greeter);
    expect(container.get(Greeter)).toBe(first);
    expect(first.clock).toBe(container.get(Clock));
    expect(made).toBe(1);
  });

  it("gives values under tokens", () => {
    const container = new Container().value(SETTINGS, { name: "acme" });
    expect(container.get(SETTINGS).name).toBe("acme");
  });

  it("builds a resolver from its constructor's parameter types", () => {
    const container = new Container()
      .register(provide(Clock, () => new Clock()))
      .register(provide(Greeter, (c) => new Greeter(c.get(Clock))));
    const resolver = container.get(GreetingResolver);
    expect(resolver.greeter).toBe(container.get(Greeter));
    expect(resolver.clock).toBe(container.get(Clock));
    expect(container.get(GreetingResolver)).toBe(resolver);
  });

  it("refuses a token provided twice", () => {
    const container = new Container().register(provide(Clock, () => new Clock()));
    expect(() => container.register(provide(Clock, () => new Clock()))).toThrow(
      "Clock is provided twice",
    );
  });

  it("names a token nobody provides", () => {
    expect(() => new Container().get(SETTINGS)).toThrow("settings is not provided");
  });

  it("names the cycle when two factories need each other", () => {
    class A {}
    class B {}
    const container = new Container()
      .register(provide(A, (c) => (c.get(B), new A())))
      .register(provide(B, (c) => (c.get(A), new B())));
    expect(() => container.get(A)).toThrow("dependency cycle: A → B → A");
  });

  it("refuses to guess a constructor parameter that is not a class", () => {
    @Resolver()
    class NeedsSettings {
      constructor(readonly settings: Settings) {}
    }
    expect(() => new Container().get(NeedsSettings)).toThrow(/parameter 1 is not a class/);
  });
});
