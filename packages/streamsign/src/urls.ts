import { StreamTokenError } from "./errors.js";

/** Where the videos are served from: your customer subdomain code, or any base URL. */
export type StreamUrlBase =
  | {
      /** The `<CODE>` of `https://customer-<CODE>.cloudflarestream.com` (Stream dashboard → any video → URL). */
      customerCode: string;
      baseUrl?: undefined;
    }
  | {
      /** A base URL such as `https://videodelivery.net` or your own proxy; the token is appended as a path segment. */
      baseUrl: string;
      customerCode?: undefined;
    };

/** How a thumbnail is fitted into `width`×`height`. */
export type ThumbnailFit = "crop" | "clip" | "scale" | "fill";

/** A time offset: seconds (`5` → `"5s"`) or Cloudflare's text form (`"5s"`, `"1m30s"`). */
export type TimeOffset = number | string;

/** Query parameters of `/thumbnails/thumbnail.jpg`. */
export interface ThumbnailOptions {
  time?: TimeOffset | undefined;
  height?: number | undefined;
  width?: number | undefined;
  fit?: ThumbnailFit | undefined;
}

/** Query parameters of `/thumbnails/thumbnail.gif`. */
export interface GifOptions extends ThumbnailOptions {
  /** Length of the GIF; Cloudflare's default is `"5s"`. */
  duration?: TimeOffset | undefined;
  /** Frames per second; Cloudflare's default is 8. */
  fps?: number | undefined;
}

/** Query parameters of `/downloads/default.mp4`. */
export interface DownloadOptions {
  /** The file name the browser saves the download as. */
  filename?: string | undefined;
}

/** The URLs of one signed token (or a public video uid). */
export interface StreamUrls {
  /** The player iframe: `/<token>/iframe`. */
  iframe: string;
  /** HLS manifest: `/<token>/manifest/video.m3u8`. */
  hls: string;
  /** DASH manifest: `/<token>/manifest/video.mpd`. */
  dash: string;
  /** Thumbnail JPEG: `/<token>/thumbnails/thumbnail.jpg?…`. */
  thumbnail(options?: ThumbnailOptions): string;
  /** Animated GIF: `/<token>/thumbnails/thumbnail.gif?…`. */
  gif(options?: GifOptions): string;
  /** MP4 download: `/<token>/downloads/default.mp4?…`; the token needs `downloadable: true`. */
  download(options?: DownloadOptions): string;
}

const FITS: ReadonlySet<string> = new Set(["crop", "clip", "scale", "fill"]);

function invalid(message: string): StreamTokenError {
  return new StreamTokenError("ERR_URL_OPTIONS", message);
}

function resolveBase(base: StreamUrlBase): string {
  if (base === null || typeof base !== "object")
    throw invalid("streamUrls needs { customerCode } or { baseUrl }.");
  const { customerCode, baseUrl } = base;
  if (customerCode !== undefined && baseUrl !== undefined)
    throw invalid("give customerCode or baseUrl, not both.");
  if (customerCode !== undefined) {
    if (typeof customerCode !== "string" || !/^[a-z0-9]{1,63}$/.test(customerCode)) {
      const hint =
        typeof customerCode === "string" && /customer-([a-z0-9]+)/i.test(customerCode)
          ? `: pass only the code, "${/customer-([a-z0-9]+)/i.exec(customerCode)![1]!.toLowerCase()}"`
          : "";
      throw invalid(
        `customerCode must be the lowercase letters and digits after "customer-" in your Stream URL${hint}.`,
      );
    }
    return `https://customer-${customerCode}.cloudflarestream.com`;
  }
  if (typeof baseUrl !== "string")
    throw invalid("streamUrls needs { customerCode } or { baseUrl }.");
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid(
      `baseUrl is not an absolute URL (like "https://customer-abc123.cloudflarestream.com").`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw invalid("baseUrl must be an http(s) URL.");
  if (url.search || url.hash) throw invalid("baseUrl must not have a query or fragment.");
  return url.href.replace(/\/+$/, "");
}

function positiveInteger(value: unknown, name: string): string {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0)
    throw invalid(`${name} must be a positive whole number.`);
  return String(value);
}

function timeOffset(value: unknown, name: string): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0)
      throw invalid(`${name} must be a non-negative number of seconds.`);
    return `${value}s`;
  }
  if (typeof value === "string" && /^(\d+(\.\d+)?[hms])+$/.test(value)) return value;
  throw invalid(`${name} must be seconds (a number) or a time like "5s", "1m30s".`);
}

// encodeURIComponent, not URLSearchParams: the latter writes a space as "+", which a
// server that decodes paths rather than forms (a download filename) keeps as a plus.
function query(params: Array<[string, string | undefined]>): string {
  const parts: string[] = [];
  for (const [name, value] of params) {
    if (value !== undefined) parts.push(`${name}=${encodeURIComponent(value)}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

function thumbnailParams(options: ThumbnailOptions): Array<[string, string | undefined]> {
  if (options.fit !== undefined && !FITS.has(options.fit))
    throw invalid(`fit must be one of crop, clip, scale, fill.`);
  return [
    ["time", options.time === undefined ? undefined : timeOffset(options.time, "time")],
    [
      "height",
      options.height === undefined ? undefined : positiveInteger(options.height, "height"),
    ],
    ["width", options.width === undefined ? undefined : positiveInteger(options.width, "width")],
    ["fit", options.fit],
  ];
}

/**
 * Builds the playback, thumbnail and download URLs for a signed token: the token
 * takes the video uid's place in `https://customer-<CODE>.cloudflarestream.com/<token>/…`.
 *
 * @example
 * ```ts
 * import { streamUrls } from "streamsign";
 * const urls = streamUrls(token, { customerCode: "f33zs165nr7gyfy4" });
 * urls.hls;                               // …/<token>/manifest/video.m3u8
 * urls.thumbnail({ time: "5s", height: 270 });
 * urls.download({ filename: "talk.mp4" }); // token needs downloadable: true
 * ```
 */
export function streamUrls(token: string, base: StreamUrlBase): StreamUrls {
  if (typeof token !== "string" || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){0,2}$/.test(token)) {
    throw invalid(
      "token must be a signed token (or a video uid): base64url segments joined by dots.",
    );
  }
  const root = `${resolveBase(base)}/${token}`;
  return {
    iframe: `${root}/iframe`,
    hls: `${root}/manifest/video.m3u8`,
    dash: `${root}/manifest/video.mpd`,
    thumbnail: (options = {}) =>
      `${root}/thumbnails/thumbnail.jpg${query(thumbnailParams(options))}`,
    gif: (options = {}) =>
      `${root}/thumbnails/thumbnail.gif${query([
        ...thumbnailParams(options),
        [
          "duration",
          options.duration === undefined ? undefined : timeOffset(options.duration, "duration"),
        ],
        ["fps", options.fps === undefined ? undefined : positiveInteger(options.fps, "fps")],
      ])}`,
    download: (options = {}) => {
      if (
        options.filename !== undefined &&
        (typeof options.filename !== "string" || options.filename === "")
      ) {
        throw invalid("filename must be a non-empty string.");
      }
      return `${root}/downloads/default.mp4${query([["filename", options.filename]])}`;
    },
  };
}
