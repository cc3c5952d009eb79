// The API description served at /openapi.json. test/openapi.test.ts keeps it true:
// every route and status the app serves must be described here, and real responses
// must match these schemas.

const errorRef = { $ref: "#/components/schemas/Error" } as const;

function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: errorRef } } };
}

const ERRORS = {
  400: errorResponse(
    "Bad input: the code names the field (ERR_VIDEO_ID, ERR_EXPIRY_TOO_LONG, ERR_RULE_IP, ERR_BODY_INVALID, …).",
  ),
  401: errorResponse("Missing or wrong API key (ERR_UNAUTHORIZED)."),
  403: errorResponse("Refused by policy (ERR_VIDEO_NOT_ALLOWED, ERR_RULES_ENFORCED)."),
  413: errorResponse("Body larger than 64 KB (ERR_BODY_TOO_LARGE)."),
  415: errorResponse("Body is not application/json (ERR_UNSUPPORTED_MEDIA_TYPE)."),
  429: {
    ...errorResponse("Rate limit for this API key (ERR_RATE_LIMITED)."),
    headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } },
  },
  500: errorResponse(
    "Unexpected failure (ERR_INTERNAL); details are only in the service's own logs.",
  ),
} as const;

const bearer = [{ apiKey: [] }];

/** The OpenAPI 3.1 document of the service. */
export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "streamsign token service",
    version: "0.1.0",
    description:
      "Signs Cloudflare Stream tokens (RS256 JWTs) for your viewers and returns ready-to-use playback URLs. Errors are always { error: { code, message } }.",
  },
  components: {
    securitySchemes: {
      apiKey: { type: "http", scheme: "bearer", description: "One of STREAMSIGN_API_KEYS." },
    },
    schemas: {
      AccessRule: {
        oneOf: [
          {
            type: "object",
            required: ["type", "action"],
            additionalProperties: false,
            properties: { type: { const: "any" }, action: { enum: ["allow", "block"] } },
          },
          {
            type: "object",
            required: ["type", "action", "ip"],
            additionalProperties: false,
            properties: {
              type: { const: "ip.src" },
              action: { enum: ["allow", "block"] },
              ip: { type: "array", minItems: 1, items: { type: "string" } },
            },
          },
          {
            type: "object",
            required: ["type", "action", "country"],
            additionalProperties: false,
            properties: {
              type: { const: "ip.geoip.country" },
              action: { enum: ["allow", "block"] },
              country: {
                type: "array",
                minItems: 1,
                items: { type: "string", pattern: "^[A-Z]{2}$" },
              },
            },
          },
        ],
      },
      TokenRequest: {
        type: "object",
        required: ["videoId"],
        additionalProperties: false,
        properties: {
          videoId: {
            type: "string",
            pattern: "^[0-9a-fA-F]{32}$",
            description: "Stream video or live input uid.",
          },
          expiresIn: {
            type: ["integer", "string"],
            description:
              'Seconds or "30s"/"15m"/"2h"/"1d"; default STREAMSIGN_DEFAULT_TTL, at most STREAMSIGN_MAX_TTL.',
          },
          notBefore: { type: "integer", description: "Unix seconds." },
          downloadable: { type: "boolean" },
          accessRules: {
            type: "array",
            maxItems: 5,
            items: { $ref: "#/components/schemas/AccessRule" },
          },
          bindViewerIp: {
            type: "boolean",
            description:
              "Allow only the caller's network (/24 IPv4, /64 IPv6 by default), block everyone else. Defaults to the service's policy; false is refused (403 ERR_RULES_ENFORCED) when the policy binds and enforces its rules. 400 ERR_VIEWER_IP_UNKNOWN when the caller's address cannot be determined (see STREAMSIGN_TRUST_PROXY).",
          },
        },
      },
      TokenResponse: {
        type: "object",
        required: ["token", "expiresAt", "urls"],
        additionalProperties: false,
        properties: {
          token: { type: "string", pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$" },
          expiresAt: { type: "string", format: "date-time" },
          urls: {
            type: "object",
            required: ["iframe", "hls", "dash", "thumbnail"],
            additionalProperties: false,
            properties: {
              iframe: { type: "string", format: "uri" },
              hls: { type: "string", format: "uri" },
              dash: { type: "string", format: "uri" },
              thumbnail: { type: "string", format: "uri" },
              download: {
                type: "string",
                format: "uri",
                description: "Only when downloadable is true.",
              },
            },
          },
        },
      },
      BatchRequest: {
        type: "object",
        required: ["requests"],
        additionalProperties: false,
        properties: {
          requests: {
            type: "array",
            maxItems: 100,
            items: { $ref: "#/components/schemas/TokenRequest" },
          },
        },
      },
      BatchResponse: {
        type: "object",
        required: ["results"],
        additionalProperties: false,
        properties: {
          results: {
            type: "array",
            description: "In request order: a token answer, or an error for that item alone.",
            items: {
              oneOf: [
                { $ref: "#/components/schemas/TokenResponse" },
                { $ref: "#/components/schemas/Error" },
              ],
            },
          },
        },
      },
      Error: {
        type: "object",
        required: ["error"],
        additionalProperties: false,
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            additionalProperties: false,
            properties: {
              code: { type: "string", pattern: "^ERR_[A-Z0-9_]+$" },
              message: { type: "string" },
            },
          },
        },
      },
      Jwks: {
        type: "object",
        required: ["keys"],
        additionalProperties: false,
        properties: {
          keys: {
            type: "array",
            items: {
              type: "object",
              required: ["kty", "n", "e", "kid", "alg", "use"],
              additionalProperties: false,
              properties: {
                kty: { const: "RSA" },
                n: { type: "string" },
                e: { type: "string" },
                kid: { type: "string" },
                alg: { const: "RS256" },
                use: { const: "sig" },
              },
            },
          },
        },
      },
      Health: {
        type: "object",
        required: ["status", "activeKid", "keys"],
        additionalProperties: false,
        properties: {
          status: { const: "ok" },
          activeKid: { type: "string" },
          keys: { type: "integer" },
        },
      },
    },
  },
  paths: {
    "/v1/tokens": {
      post: {
        summary: "Sign one token",
        security: bearer,
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: { $ref: "#/components/schemas/TokenRequest" } },
          },
        },
        responses: {
          201: {
            description: "Signed.",
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/TokenResponse" } },
            },
          },
          ...ERRORS,
        },
      },
    },
    "/v1/tokens/batch": {
      post: {
        summary: "Sign up to 100 tokens",
        security: bearer,
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: { $ref: "#/components/schemas/BatchRequest" } },
          },
        },
        responses: {
          200: {
            description: "One result per request, in order.",
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/BatchResponse" } },
            },
          },
          400: errorResponse(
            "The batch itself is malformed, or has more than 100 requests (ERR_BATCH_TOO_LARGE).",
          ),
          401: ERRORS[401],
          413: ERRORS[413],
          415: ERRORS[415],
          429: ERRORS[429],
          500: ERRORS[500],
        },
      },
    },
    "/.well-known/jwks.json": {
      get: {
        summary: "Public keys of the keyring",
        responses: {
          200: {
            description: "JWKS (RFC 7517).",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Jwks" } } },
          },
        },
      },
    },
    "/healthz": {
      get: {
        summary: "Liveness",
        responses: {
          200: {
            description: "Ready to sign.",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } },
          },
        },
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics",
        responses: {
          200: {
            description: "Prometheus text format 0.0.4.",
            content: { "text/plain": { schema: { type: "string" } } },
          },
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: {
          200: {
            description: "OpenAPI 3.1.",
            content: { "application/json": { schema: { type: "object" } } },
          },
        },
      },
    },
  },
} as const;
