// A text field of a submitted form (a file field or a missing one reads as "").
export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}
