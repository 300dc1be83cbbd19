/**
 * `seedVolume`'s names: by default as `volumeLeadName` says, and with `namePrefix` every first
 * name begins with the prefix — in the leads, in the word index and so in a name search — while
 * the calls may be none.
 */
import { seedVolume, volumeLeadName, type VolumeOptions } from "../../src/cli/volume-seed";
import { cliOperator, Role } from "../../src/access/principal";
import { AccountService } from "../../src/accounts/account.service";
import { ApiKeyService } from "../../src/auth/api-key.service";
import { acrossAccounts } from "../../src/db/account-scope";
import { describeEachDatabaseKind, TestServer } from "../support/harness";

describeEachDatabaseKind("seedVolume's lead names", (kind) => {
  const servers: TestServer[] = [];

  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  /** A fresh server seeded with `options`; the rows it wrote, and a search as the 2nd account. */
  async function seeded(options: Pick<VolumeOptions, "leads" | "accounts" | "namePrefix">) {
    const server = new TestServer(kind);
    servers.push(server);
    await server.start();
    const { dataSource } = server.app;
    const accounts = await acrossAccounts("test setup: seeding", () =>
      seedVolume(dataSource, server.app.container.get(AccountService), {
        ...options,
        calls: 0,
        chunk: 100,
      }),
    );
    const account = accounts[1];
    const leads: Array<{ id: number | string; name: string; search_name: string }> =
      await dataSource.query(
        "SELECT id, name, search_name FROM leads WHERE account_id = ? ORDER BY id",
        [account.id],
      );
    const words: Array<{ word: string; n: number | string }> = await dataSource.query(
      "SELECT word, COUNT(*) AS n FROM lead_name_words WHERE account_id = ? GROUP BY word",
      [account.id],
    );
    const calls: Array<{ n: number | string }> = await dataSource.query(
      "SELECT COUNT(*) AS n FROM calls",
    );
    const { secret } = await acrossAccounts("test setup: a key of the seeded account", () =>
      server.app.container
        .get(ApiKeyService)
        .create({ name: "seed", role: Role.AGENT, accountCode: account.code }, cliOperator(null)),
    );
    const search = async (term: string) => {
      const response = await server.gql(
        `query($s: String) { leads(first: 1, filter: { search: $s }) { totalCount } }`,
        { s: term },
        { "x-api-key": secret },
      );
      expect(response.errors).toBeUndefined();
      return (response.data as { leads: { totalCount: number } }).leads.totalCount;
    };
    return { account, leads, words, calls: Number(calls[0].n), search };
  }

  it("writes the names of volumeLeadName by default", async () => {
    const { account, leads, calls } = await seeded({ leads: 400, accounts: 2 });
    expect(calls).toBe(0);
    expect(leads).toHaveLength(200);
    leads.forEach((lead, i) => {
      expect(Number(lead.id)).toBe(account.firstLeadId + i);
      const { first, last } = volumeLeadName(i);
      expect(lead.name).toBe(`${first} ${last}`);
      expect(lead.search_name).toBe(`${first} ${last}`.toLowerCase());
    });
  });

  it("begins every first name with namePrefix, in the word index too, and a search finds them all", async () => {
    const { leads, words, search } = await seeded({ leads: 400, accounts: 2, namePrefix: "car" });
    expect(leads).toHaveLength(200);
    leads.forEach((lead, i) => {
      const { first, last } = volumeLeadName(i, "car");
      expect(first).toMatch(/^Car[a-z]{4,}$/);
      expect(lead.name).toBe(`${first} ${last}`);
      expect(lead.search_name).toBe(`${first} ${last}`.toLowerCase());
    });
    // Each lead's first name is a word of the index beginning with the prefix, its surname not.
    const withPrefix = words.filter((w) => w.word.startsWith("car"));
    expect(withPrefix.reduce((sum, w) => sum + Number(w.n), 0)).toBe(200);
    expect(words.reduce((sum, w) => sum + Number(w.n), 0)).toBe(400);
    expect(await search("car")).toBe(200);
    expect(await search(volumeLeadName(7, "car").first)).toBe(
      leads.filter((lead) => lead.name.startsWith(`${volumeLeadName(7, "car").first} `)).length,
    );
  });

  it("refuses a prefix that is not folded letters or digits", async () => {
    const server = new TestServer(kind);
    servers.push(server);
    await server.start();
    for (const namePrefix of ["Car", "car los", "car'", "é"]) {
      await expect(
        acrossAccounts("test: seeding", () =>
          seedVolume(server.app.dataSource, server.app.container.get(AccountService), {
            leads: 10,
            calls: 0,
            accounts: 1,
            namePrefix,
          }),
        ),
      ).rejects.toThrow(/namePrefix/);
    }
  });
});
