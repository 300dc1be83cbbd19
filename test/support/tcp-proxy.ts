import net from "node:net";

/**
 * A TCP proxy in front of a server, for outages: `cut()` closes every connection through it and
 * closes new ones as soon as they send anything (the server "went away"); `blackhole()` keeps the connections and new ones
 * open but forwards nothing (a link gone silent); `restore()` ends either.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  private blackholed = false;
  /** Connections accepted so far, refused ones included. */
  accepted = 0;
  private readonly server = net.createServer((client) => {
    this.accepted += 1;
    if (!this.up) {
      // Closed once the client has spoken (or soon): like a front whose server is gone.
      client.on("error", () => undefined);
      client.once("data", () => client.destroy());
      setTimeout(() => client.destroy(), 50).unref();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(from);
      from.on("close", () => {
        this.sockets.delete(from);
        to.destroy();
      });
      from.on("error", () => from.destroy());
      from.on("data", (chunk) => {
        if (!this.blackholed) to.write(chunk);
      });
    }
  });

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on a free port of 127.0.0.1; answers it. */
  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }

  blackhole(): void {
    this.blackholed = true;
  }

  restore(): void {
    this.up = true;
    this.blackholed = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
