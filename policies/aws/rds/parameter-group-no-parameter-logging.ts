/**
 * No patient's data in the database's logs (LGPD art. 46): a PostgreSQL parameter group logs no
 * statement's bind parameters (the patients' values). PostgreSQL's `log_parameter_max_length` and
 * `log_parameter_max_length_on_error` default to -1, in full (PostgreSQL docs, "Error Reporting and
 * Logging"), so they must be set to 0; pgaudit's `pgaudit.log_parameter` must not be on.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { configSchema } from "../../lib/config";
import { tryKnown } from "../../lib/known";

const ZEROED = ["log_parameter_max_length", "log_parameter_max_length_on_error"];
const ON = new Set(["1", "on", "true", "yes"]);

export const rdsParameterGroupNoParameterLogging = resourcePolicy({
  name: "aws-rds-parameter-group-no-parameter-logging",
  description:
    "PostgreSQL parameter groups log no statement parameters (log_parameter_max_length and ..._on_error 0, pgaudit.log_parameter off).",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { other: ["PostgreSQL log_parameter_max_length, pgAudit log_parameter"] },
  tags: ["aws", "privacy", "lgpd"],
  remediationSteps:
    "Add log_parameter_max_length = 0 and log_parameter_max_length_on_error = 0 to the parameter group, and leave pgaudit.log_parameter off.",
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.rds.ParameterGroup, (group, args, reportViolation) => {
    const family = tryKnown(() => group.family);
    if (!family.known || !String(family.value).startsWith("postgres")) return;
    const parameters = tryKnown(() => group.parameters ?? []);
    if (!parameters.known) return;
    const values = new Map(
      parameters.value.map((p) => [String(p.name).toLowerCase(), String(p.value).toLowerCase()]),
    );
    const problems = [
      ...ZEROED.filter((name) => values.get(name) !== "0").map((name) => `${name} = 0`),
      ...(ON.has(values.get("pgaudit.log_parameter") ?? "") ? ["pgaudit.log_parameter = 0"] : []),
    ];
    if (problems.length)
      reportViolation(
        `Set ${problems.join(", ")} in parameter group '${args.name}': PostgreSQL logs a statement's parameters, the patients' values, in full by default.`,
      );
  }),
});
