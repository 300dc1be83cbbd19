/**
 * (a) Bare `node:http`: answers every request with the same pre-serialised JSON body — the exact
 * bytes the service returned for the same query — after reading the request body, as any JSON
 * API must. The lower bound of what one Node.js process can do with this response.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exitWithRunner, reportReady } from "./ipc";

const body = fs.readFileSync(process.env.BENCH_BODY_FILE ?? "", "utf8");
const bytes = Buffer.from(body, "utf8");

const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": bytes.length,
    });
    res.end(bytes);
  });
});

server.listen(0, "127.0.0.1", () => {
  reportReady((server.address() as AddressInfo).port, "/graphql");
});
exitWithRunner(() => new Promise<void>((resolve) => server.close(() => resolve())));
