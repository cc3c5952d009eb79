// streamUrls: exact URLs, written out by hand from Cloudflare's documented paths.
import { describe, expect, it } from "vitest";
import type { StreamUrlBase } from "../src/index.js";
import { StreamTokenError, streamUrls } from "../src/index.js";
import { vectors } from "./fixtures.js";

const TOKEN = vectors.find((v) => v.name === "everything-combined")!.token;
const CODE = "f33zs165nr7gyfy4";
const ROOT = `https://customer-${CODE}.cloudflarestream.com/${TOKEN}`;

/** Expects ERR_URL_OPTIONS and that the message carries no token (nor any long part of it). */
function urlError(fn: () => unknown): StreamTokenError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected ERR_URL_OPTIONS, nothing was thrown").toBeInstanceOf(StreamTokenError);
  const error = caught as StreamTokenError;
  expect(error.code).toBe("ERR_URL_OPTIONS");
  expect(error.message).not.toContain(TOKEN);
  for (const part of TOKEN.split(".")) expect(error.message).not.toContain(part);
  return error;
}

describe("streamUrls: playback URLs", () => {
  it("with a customerCode, the token takes the video uid's place", () => {
    const urls = streamUrls(TOKEN, { customerCode: CODE });
    expect(urls.iframe).toBe(`${ROOT}/iframe`);
    expect(urls.hls).toBe(`${ROOT}/manifest/video.m3u8`);
    expect(urls.dash).toBe(`${ROOT}/manifest/video.mpd`);
  });

  it.each([
    ["https://videodelivery.net", "https://videodelivery.net"],
    ["https://videodelivery.net/", "https://videodelivery.net"],
    ["https://videodelivery.net///", "https://videodelivery.net"],
    ["https://proxy.example.com/stream", "https://proxy.example.com/stream"],
    ["https://proxy.example.com/stream/", "https://proxy.example.com/stream"],
    ["http://127.0.0.1:8787/", "http://127.0.0.1:8787"],
    [
      `https://customer-${CODE}.cloudflarestream.com/`,
      `https://customer-${CODE}.cloudflarestream.com`,
    ],
  ])("baseUrl %s joins the token with exactly one slash", (baseUrl, root) => {
    const urls = streamUrls(TOKEN, { baseUrl });
    expect(urls.hls).toBe(`${root}/${TOKEN}/manifest/video.m3u8`);
    expect(urls.iframe).toBe(`${root}/${TOKEN}/iframe`);
    expect(urls.dash).toBe(`${root}/${TOKEN}/manifest/video.mpd`);
  });

  it("customerCode and the equivalent baseUrl give the same URLs", () => {
    const a = streamUrls(TOKEN, { customerCode: CODE });
    const b = streamUrls(TOKEN, { baseUrl: `https://customer-${CODE}.cloudflarestream.com` });
    expect([a.iframe, a.hls, a.dash, a.thumbnail(), a.gif(), a.download()]).toEqual([
      b.iframe,
      b.hls,
      b.dash,
      b.thumbnail(),
      b.gif(),
      b.download(),
    ]);
  });

  it("a public video uid works in place of a token", () => {
    const uid = "ea95132c15732412d22c1476fa83f27a";
    expect(streamUrls(uid, { customerCode: CODE }).hls).toBe(
      `https://customer-${CODE}.cloudflarestream.com/${uid}/manifest/video.m3u8`,
    );
  });
});

describe("streamUrls: thumbnails, GIFs and downloads", () => {
  const urls = streamUrls(TOKEN, { customerCode: CODE });

  it("thumbnail without options has no query", () => {
    expect(urls.thumbnail()).toBe(`${ROOT}/thumbnails/thumbnail.jpg`);
    expect(urls.thumbnail({})).toBe(`${ROOT}/thumbnails/thumbnail.jpg`);
  });

  it("thumbnail with every option", () => {
    expect(urls.thumbnail({ time: "5s", height: 270, width: 480, fit: "crop" })).toBe(
      `${ROOT}/thumbnails/thumbnail.jpg?time=5s&height=270&width=480&fit=crop`,
    );
  });

  it.each([
    [5, "5s"],
    [0, "0s"],
    [1.5, "1.5s"],
    ["1m30s", "1m30s"],
    ["2h", "2h"],
    ["0.5s", "0.5s"],
  ])("thumbnail time %j is written as %s", (time, text) => {
    expect(urls.thumbnail({ time })).toBe(`${ROOT}/thumbnails/thumbnail.jpg?time=${text}`);
  });

  it.each(["crop", "clip", "scale", "fill"] as const)("fit %s is accepted", (fit) => {
    expect(urls.thumbnail({ fit })).toBe(`${ROOT}/thumbnails/thumbnail.jpg?fit=${fit}`);
  });

  it("an option given as undefined is left out", () => {
    expect(urls.thumbnail({ time: undefined, height: 100 })).toBe(
      `${ROOT}/thumbnails/thumbnail.jpg?height=100`,
    );
  });

  it("gif without options has no query, and with options keeps a stable order", () => {
    expect(urls.gif()).toBe(`${ROOT}/thumbnails/thumbnail.gif`);
    expect(urls.gif({ fps: 12, duration: "3s", time: 1, width: 320 })).toBe(
      `${ROOT}/thumbnails/thumbnail.gif?time=1s&width=320&duration=3s&fps=12`,
    );
    expect(urls.gif({ duration: 2 })).toBe(`${ROOT}/thumbnails/thumbnail.gif?duration=2s`);
  });

  it("download without a filename has no query", () => {
    expect(urls.download()).toBe(`${ROOT}/downloads/default.mp4`);
  });

  it("download with a plain filename", () => {
    expect(urls.download({ filename: "talk.mp4" })).toBe(
      `${ROOT}/downloads/default.mp4?filename=talk.mp4`,
    );
  });

  it.each([
    "my talk.mp4",
    "Vortrag über Zürich.mp4",
    "講演 2026.mp4",
    "a&b=c#d?.mp4",
    "100% fun+games.mp4",
    "../../etc/passwd",
  ])("filename %j is percent-encoded and reads back unchanged", (filename) => {
    const url = urls.download({ filename });
    expect(url.startsWith(`${ROOT}/downloads/default.mp4?filename=`)).toBe(true);
    // Only URL-safe ASCII in the query: no raw spaces, unicode, &, #, ? or %-sequences we did not write.
    const query = url.slice(url.indexOf("?") + 1);
    expect(query).toMatch(/^filename=[A-Za-z0-9%._*+-]+$/);
    const parsed = new URL(url);
    expect([...parsed.searchParams.keys()]).toEqual(["filename"]);
    expect(parsed.searchParams.get("filename")).toBe(filename);
    expect(parsed.pathname).toBe(`/${TOKEN}/downloads/default.mp4`);
    expect(parsed.hash).toBe("");
  });

  it("a space is written as %20 or +, and unicode as UTF-8 percent escapes", () => {
    const url = urls.download({ filename: "über talk.mp4" });
    expect(url).toMatch(/\?filename=%C3%BCber(\+|%20)talk\.mp4$/);
  });
});

describe("streamUrls: invalid input is ERR_URL_OPTIONS", () => {
  it("customerCode written as customer-xyz gets the hint to pass only the code", () => {
    expect(urlError(() => streamUrls(TOKEN, { customerCode: "customer-xyz" })).message).toContain(
      '"xyz"',
    );
  });

  it("customerCode pasted as the whole host or URL gets the same hint, lower-cased", () => {
    for (const customerCode of [
      "customer-ABC123.cloudflarestream.com",
      "https://customer-abc123.cloudflarestream.com/",
    ]) {
      expect(urlError(() => streamUrls(TOKEN, { customerCode })).message).toContain('"abc123"');
    }
  });

  it.each([
    ["an empty customerCode", { customerCode: "" }],
    ["an upper-case customerCode", { customerCode: "F33ZS165" }],
    ["a customerCode with a dot", { customerCode: "abc.evil.com" }],
    ["a customerCode with a slash", { customerCode: "abc/../x" }],
    ["a 64-character customerCode", { customerCode: "a".repeat(64) }],
    ["a numeric customerCode", { customerCode: 123 }],
    ["both customerCode and baseUrl", { customerCode: CODE, baseUrl: "https://videodelivery.net" }],
    ["neither", {}],
    ["null", null],
    ["a string instead of an object", "f33zs165nr7gyfy4"],
    ["a relative baseUrl", { baseUrl: "/stream" }],
    ["a baseUrl that is not a URL", { baseUrl: "not a url" }],
    ["an ftp baseUrl", { baseUrl: "ftp://videodelivery.net" }],
    ["a javascript: baseUrl", { baseUrl: "javascript:alert(1)" }],
    ["a baseUrl with a query", { baseUrl: "https://videodelivery.net/?a=1" }],
    ["a baseUrl with a fragment", { baseUrl: "https://videodelivery.net/#x" }],
  ])("%s", (_, base) => {
    urlError(() => streamUrls(TOKEN, base as StreamUrlBase));
  });

  it.each([
    ["an empty token", ""],
    ["a token with a slash", `${TOKEN}/x`],
    ["a token with a query", `${TOKEN}?a=1`],
    ["a token with a space", `${TOKEN} `],
    ["a token with four parts", `${TOKEN}.abc`],
    ["a token in standard base64", `${TOKEN}+/`],
    ["a non-string token", 42],
  ])("%s", (_, token) => {
    urlError(() => streamUrls(token as string, { customerCode: CODE }));
  });

  const urls = streamUrls(TOKEN, { customerCode: CODE });
  it.each([
    ["height 0", () => urls.thumbnail({ height: 0 })],
    ["height -1", () => urls.thumbnail({ height: -1 })],
    ["height 1.5", () => urls.thumbnail({ height: 1.5 })],
    ["height as a string", () => urls.thumbnail({ height: "270" as unknown as number })],
    ["width NaN", () => urls.thumbnail({ width: Number.NaN })],
    ["width Infinity", () => urls.thumbnail({ width: Number.POSITIVE_INFINITY })],
    ["fit stretch", () => urls.thumbnail({ fit: "stretch" as "crop" })],
    ["time -1", () => urls.thumbnail({ time: -1 })],
    ["time NaN", () => urls.thumbnail({ time: Number.NaN })],
    ["time '5 seconds'", () => urls.thumbnail({ time: "5 seconds" })],
    ["time '5'", () => urls.thumbnail({ time: "5" })],
    ["time with a query injection", () => urls.thumbnail({ time: "5s&width=1" })],
    ["gif fps 0", () => urls.gif({ fps: 0 })],
    ["gif fps 7.5", () => urls.gif({ fps: 7.5 })],
    ["gif duration 'x'", () => urls.gif({ duration: "x" })],
    ["gif height 0", () => urls.gif({ height: 0 })],
    ["download filename ''", () => urls.download({ filename: "" })],
    ["download filename 5", () => urls.download({ filename: 5 as unknown as string })],
  ])("%s", (_, fn) => {
    urlError(fn);
  });
});
