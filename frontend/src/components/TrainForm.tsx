import { useState } from "react";
import type { Param, Synthesizer } from "../types";
import { ErrorMessage } from "./ErrorMessage";

/** A text field's value as the parameter's type: numbers and JSON where they parse. */
export function parseParam(param: Param, text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return param.type.includes("None") ? null : undefined;
  if (/^(int|float)/.test(param.type)) {
    const number = Number(trimmed);
    return Number.isNaN(number) ? trimmed : number;
  }
  if (param.type === "str") return trimmed;
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Pick a generator and its settings (built from the model's own parameters). */
export function TrainForm({
  synthesizers,
  onTrain,
}: {
  synthesizers: Synthesizer[];
  onTrain: (name: string, params: Record<string, unknown>, seed: number) => Promise<void>;
}) {
  const usable = synthesizers.filter((s) => s.available);
  const [name, setName] = useState((usable.find((s) => s.is_default) ?? usable[0])?.name ?? "");
  const [values, setValues] = useState<Record<string, string>>({});
  const [privacy, setPrivacy] = useState(false);
  const [epsilon, setEpsilon] = useState("1.0");
  const [seed, setSeed] = useState("0");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const model = usable.find((s) => s.name === name);
  const params = (model?.params ?? []).filter((p) => p.name !== model?.privacy_param);

  async function submit() {
    if (!model) return;
    const chosen: Record<string, unknown> = {};
    for (const param of params) {
      if (!(param.name in values)) continue;
      const value = parseParam(param, values[param.name]);
      if (value !== undefined) chosen[param.name] = value;
    }
    if (model.privacy_param && privacy) chosen[model.privacy_param] = Number(epsilon);
    setBusy(true);
    setError(null);
    try {
      await onTrain(model.name, chosen, Number(seed) || 0);
    } catch (exc) {
      setError(exc);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <label>
        Generator
        <select
          aria-label="Generator"
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            setValues({});
          }}
        >
          {usable.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      {model && <p className="hint">{model.description}</p>}
      <div className="grid">
        {params.map((param) => (
          <label key={param.name}>
            {param.name} <span className="hint">({param.type})</span>
            <input
              value={values[param.name] ?? shown(param.default)}
              required={param.required}
              onChange={(event) => setValues({ ...values, [param.name]: event.target.value })}
            />
          </label>
        ))}
        <label>
          Seed
          <input
            type="number"
            min="0"
            value={seed}
            onChange={(event) => setSeed(event.target.value)}
          />
        </label>
      </div>
      {model?.privacy_param && (
        <fieldset>
          <legend>Differential privacy</legend>
          <label>
            <input
              type="checkbox"
              checked={privacy}
              onChange={(event) => setPrivacy(event.target.checked)}
            />
            Train with differential privacy
          </label>
          {privacy && (
            <label>
              Privacy budget ε (smaller is more private)
              <input
                type="number"
                min="0.01"
                step="any"
                value={epsilon}
                onChange={(event) => setEpsilon(event.target.value)}
              />
            </label>
          )}
        </fieldset>
      )}
      <button type="submit" disabled={busy || !model}>
        Start training
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
