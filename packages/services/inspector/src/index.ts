export { apiTypesFile, renderApiTypes } from "./api-types.ts";
