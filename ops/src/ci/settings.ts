// Reads the settings a ci command needs from options and the environment, and reports every
// missing one at once instead of failing on the first.
import { CiErrorCode, ciError } from "../errors.ts";

/** One required setting: where it may come from, and what it is for. */
export interface SettingSpec {
  /** The command-line option that sets it, if any (without dashes). */
  option?: string;
  /** The environment variable that sets it, if any. */
  env?: string;
  /** What the setting is, for the error message. */
  description: string;
}

/** Returns each setting's value (option first, then environment); throws listing all missing. */
export function requireSettings<K extends string>(
  specs: Record<K, SettingSpec>,
  options: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
): Record<K, string> {
  const values = {} as Record<K, string>;
  const missing: string[] = [];
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    const fromOption = spec.option ? options[spec.option] : undefined;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    const value = typeof fromOption === "string" && fromOption !== "" ? fromOption : fromEnv;
    if (value === undefined || value.trim() === "") {
      const sources = [spec.option && `--${spec.option}`, spec.env && `$${spec.env}`]
        .filter(Boolean)
        .join(" or ");
      missing.push(`  ${sources}: ${spec.description}`);
    } else {
      values[key] = value.trim();
    }
  }
  if (missing.length > 0) {
    throw ciError(
      CiErrorCode.settingsMissing,
      `missing ${missing.length === 1 ? "setting" : "settings"}:\n${missing.join("\n")}`,
      { details: { missing } },
    );
  }
  return values;
}
