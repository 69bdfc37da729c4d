/// The variables of Handlebars templates (SendGrid dynamic templates): the names of simple
/// placeholders `{{name}}` and `{{{name}}}` (spaces inside allowed, dotted paths such as
/// `user.first_name` kept whole). Block helpers and their arguments (`{{#if x}}`, `{{/if}}`),
/// `{{else}}`, `{{this}}`, comments and partials are not variables.
enum TemplatePlaceholders {
    /// The names used in `texts`, sorted and without repeats.
    static func names(in texts: [String]) -> [String] {
        let placeholder = #/\{\{\{?\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}?\}\}/#
        var names = Set<String>()
        for text in texts {
            for match in text.matches(of: placeholder) {
                let name = String(match.output.1)
                if name != "else", name != "this" { names.insert(name) }
            }
        }
        return names.sorted()
    }
}
