export { type ServiceProcess, startServiceProcess } from "./service-process.ts";
