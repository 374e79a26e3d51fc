import { defineErrors, type ErrorCodeOf } from "@sagaworks/errors";

/** The infrastructure app's errors: each stops a synth or an image build, none reaches HTTP. */
export const InfraErrors = defineErrors("@sagaworks/infra", {
  /** The derived topology holds something the CDK stack cannot express (an unknown queue, a filter). */
  topologyUnsupported: { code: "INFRA_TOPOLOGY_UNSUPPORTED" },
  /** A step of an image's deploy folder (pnpm deploy, the bundle) failed. */
  imageBuildFailed: { code: "INFRA_IMAGE_BUILD_FAILED" },
  /** A setting of the saga archive bucket is out of range (its prefix, its lifecycle). */
  archiveSettingInvalid: { code: "INFRA_ARCHIVE_SETTING_INVALID" },
});
/** Stable codes of the infrastructure app's errors. */
export const InfraErrorCode = InfraErrors.codes;
export type InfraErrorCode = ErrorCodeOf<typeof InfraErrors>;
