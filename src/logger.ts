import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Paths pino censors if they ever reach a log line. Handlers never log messages; this list is
 * the backstop that keeps personal data and secrets out even when someone logs an object by mistake.
 */
export const redactPaths = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "apiKey",
  "*.apiKey",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "linkToken",
  "*.linkToken",
  "clientToken",
  "*.clientToken",
  "identity",
  "*.identity",
  "fullName",
  "*.fullName",
  "email",
  "*.email",
  "phone",
  "*.phone",
  "address",
  "*.address",
  "dateOfBirth",
  "*.dateOfBirth",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "sessionflow" },
    redact: { paths: redactPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
