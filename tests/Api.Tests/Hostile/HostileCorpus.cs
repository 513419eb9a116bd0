using System.Text;

namespace Enclave.Api.Tests.Hostile;

/// <summary>
/// The committed hostile-input corpus (issue 13 §7): every class of input that once answered 500, crashed the
/// process, half-wrote, failed open or told one tenant about another, and its neighbours, across every route family.
/// </summary>
public static class HostileCorpus
{
    private const string Json = "application/fhir+json";
    private const string Xml = "application/fhir+xml";
    private const string Form = "application/x-www-form-urlencoded";
    private const string PlainJson = "application/json";
    private const string XhtmlNs = "http://www.w3.org/1999/xhtml";

    /// <summary>Every case, by its unique name.</summary>
    public static IReadOnlyDictionary<string, HostileCase> Cases { get; } = Build().ToDictionary(c => c.ToString());

    private static string Repeat(string text, int times) => new StringBuilder(text.Length * times).Insert(0, text, times).ToString();

    private static string Patient(string members) => "{\"resourceType\":\"Patient\"" + (members.Length > 0 ? "," + members : "") + "}";

    private static string Narrative(string div) => Patient("\"text\":{\"status\":\"generated\",\"div\":" + System.Text.Json.JsonSerializer.Serialize(div) + "}");

    private static string Transaction(string type, params string[] entries) => $"{{\"resourceType\":\"Bundle\",\"type\":\"{type}\",\"entry\":[{string.Join(',', entries)}]}}";

    private static string Entry(string method, string url, string? resource = null, string? fullUrl = null, string? extra = null) =>
        "{" + (fullUrl is null ? "" : $"\"fullUrl\":\"{fullUrl}\",") + (resource is null ? "" : $"\"resource\":{resource},")
        + $"\"request\":{{\"method\":\"{method}\",\"url\":\"{url}\"{extra}}}}}";

    private static IEnumerable<HostileCase> Build()
    {
        // 1. Ids outside [A-Za-z0-9-.]{1,64}, in the address of every instance interaction (a ':' once reached a version document).
        string[] badIds = ["a%20b", "a%5Cb", "%C0%AF", "%FF", "{pA}:1", "{pA}%3A1", new string('a', 65), "a;b", "a'b", "a*", "a%2Fb", "a_b"];
        foreach (var id in badIds)
        {
            var label = id.Length > 20 ? "65 characters" : id;
            yield return new("bad id", $"read {label}", "GET", $"F/Patient/{id}");
            yield return new("bad id", $"vread {label}", "GET", $"F/Patient/{id}/_history/1");
            yield return new("bad id", $"history {label}", "GET", $"F/Patient/{id}/_history");
            yield return new("bad id", $"update {label}", "PUT", $"F/Patient/{id}", Patient($"\"id\":\"{Uri.UnescapeDataString(id.Replace("{pA}", "x", StringComparison.Ordinal)).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "", StringComparison.Ordinal)}\""), Json);
            yield return new("bad id", $"patch {label}", "PATCH", $"F/Patient/{id}", """[{"op":"replace","path":"/active","value":true}]""", "application/json-patch+json");
            yield return new("bad id", $"delete {label}", "DELETE", $"F/Patient/{id}");
        }

        // 2. Type names are case-sensitive and must be resource types.
        foreach (var type in new[] { "patient", "PATIENT", "Patients", "Resource", "DomainResource", "Element" })
        {
            yield return new("type name", $"search {type}", "GET", $"F/{type}");
            yield return new("type name", $"create {type}", "POST", $"F/{type}", Patient(""), Json);
            yield return new("type name", $"read {type}", "GET", $"F/{type}/{{pA}}");
        }

        yield return new("type name", "body resourceType patient", "POST", "F/Patient", """{"resourceType":"patient"}""", Json);
        yield return new("type name", "body resourceType 5", "POST", "F/Patient", """{"resourceType":5}""", Json);
        yield return new("type name", "body resourceType null", "POST", "F/Patient", """{"resourceType":null}""", Json);
        yield return new("type name", "body is an Observation at Patient", "POST", "F/Patient", """{"resourceType":"Observation","status":"final","code":{"text":"x"}}""", Json);

        // 3. Bodies the JSON parser must refuse.
        (string Name, string Body)[] badJson =
        [
            ("empty array", "[]"), ("number", "5"), ("string", "\"Patient\""), ("null", "null"), ("empty", ""), ("truncated", "{\"resourceType\":\"Patient\""),
            ("duplicate keys", """{"resourceType":"Patient","active":true,"active":false}"""),
            ("duplicate keys with meta.account", """{"resourceType":"Patient","meta":{"account":{"reference":"Organization/x"},"account":{"reference":"Organization/y"}}}"""),
            ("duplicate resourceType", """{"resourceType":"Patient","resourceType":"Observation"}"""),
            ("meta.accounts as a string", """{"resourceType":"Patient","meta":{"accounts":"aaaa"}}"""),
            ("meta.account as a number", """{"resourceType":"Patient","meta":{"account":5}}"""),
            ("unknown element", Patient("\"colour\":\"blue\"")), ("wrong type", Patient("\"active\":\"maybe\"")),
            ("impossible date", Patient("\"birthDate\":\"2024-02-30\"")), ("offset +99:99", Patient("\"deceasedDateTime\":\"2024-01-01T00:00:00+99:99\"")),
            ("decimal beyond range", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e400}}"""),
            ("decimal 7.9e28", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":7.9e28}}"""),
            ("integer beyond range", """{"resourceType":"Patient","multipleBirthInteger":2147483648}"""),
            ("nested 100 arrays", Patient("\"active\":" + Repeat("[", 100) + Repeat("]", 100))),
            ("nested 1000 objects", Patient("\"active\":" + Repeat("{\"a\":", 1000) + "1" + Repeat("}", 1000))),
            ("nested 200 extensions", Patient(Repeat("\"extension\":[{\"url\":\"x\",", 200) + "\"valueString\":\"v\"" + Repeat("}]", 200))),
            ("nested 10000 arrays", Patient("\"active\":" + Repeat("[", 10_000) + Repeat("]", 10_000))),
            ("array of 20000 names", Patient("\"name\":[" + string.Join(',', Enumerable.Repeat("{\"family\":\"x\"}", 20_000)) + "]")),
            ("1.5 MB string", Patient("\"name\":[{\"family\":\"" + new string('a', 1_500_000) + "\"}]")),
            ("1.2 MB of names", Patient("\"name\":[" + string.Join(',', Enumerable.Repeat("{\"family\":\"" + new string('b', 1000) + "\"}", 1200)) + "]")),
            ("invalid UTF-16 escape", Patient("\"name\":[{\"family\":\"\\ud800\"}]")), ("NUL in a string", Patient("\"name\":[{\"family\":\"a\\u0000b\"}]")),
            ("id with a colon", Patient("\"id\":\"x:1\"")), ("id with a backslash", Patient("\"id\":\"a\\\\b\"")), ("65-character id", Patient($"\"id\":\"{new string('a', 65)}\"")),
            ("contained referencing B", Patient("\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"c1\",\"partOf\":{\"reference\":\"Organization/{orgB}\"}}],\"managingOrganization\":{\"reference\":\"#c1\"}")),
            ("contained referencing a missing resource", Patient("\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"c1\",\"partOf\":{\"reference\":\"Organization/missing\"}}],\"managingOrganization\":{\"reference\":\"#c1\"}")),
            ("reference to B's organization", Patient("\"managingOrganization\":{\"reference\":\"Organization/{orgB}\"}")),
            ("reference to B's patient", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{pB}"}}"""),
            ("reference with a bad id", Patient("\"managingOrganization\":{\"reference\":\"Organization/a b\"}")),
            ("reference with a traversal", Patient("\"managingOrganization\":{\"reference\":\"Organization/../../Project/{B}\"}")),
            ("resource of an admin type", """{"resourceType":"Project","name":"x"}"""),
        ];
        foreach (var (name, body) in badJson)
        {
            yield return new("json body", name, "POST", "F/Patient", body, Json);
        }

        yield return new("json body", "update with a body of []", "PUT", "F/Patient/{pA}", "[]", Json);
        yield return new("json body", "update with duplicate keys", "PUT", "F/Patient/{pA}", """{"resourceType":"Patient","id":"{pA}","active":true,"active":false}""", Json);
        yield return new("json body", "update with another id", "PUT", "F/Patient/{pA}", Patient("\"id\":\"other\""), Json);
        yield return new("json body", "update referencing B", "PUT", "F/Patient/{pA}", Patient("\"id\":\"{pA}\",\"managingOrganization\":{\"reference\":\"Organization/{orgB}\"}"), Json);

        // 4. Narrative: well-formed XHTML of FHIR's allowed elements, no script, no event attributes.
        (string Name, string Div)[] badDivs =
        [
            ("script", $"<div xmlns=\"{XhtmlNs}\"><script>alert(1)</script></div>"), ("onclick", $"<div xmlns=\"{XhtmlNs}\" onclick=\"x()\">a</div>"),
            ("onload on img", $"<div xmlns=\"{XhtmlNs}\"><img src=\"x\" onload=\"x()\"/></div>"), ("iframe", $"<div xmlns=\"{XhtmlNs}\"><iframe src=\"x\"/></div>"),
            ("form", $"<div xmlns=\"{XhtmlNs}\"><form><input/></form></div>"), ("style element", $"<div xmlns=\"{XhtmlNs}\"><style>*{{}}</style></div>"),
            ("javascript href", $"<div xmlns=\"{XhtmlNs}\"><a href=\"javascript:alert(1)\">x</a></div>"), ("not XML", "<div>unclosed"),
            ("no namespace", "<div>a</div>"), ("not a div", $"<p xmlns=\"{XhtmlNs}\">a</p>"), ("plain text", "hello"),
            ("entity", $"<!DOCTYPE div [<!ENTITY x \"y\">]><div xmlns=\"{XhtmlNs}\">&x;</div>"), ("base", $"<div xmlns=\"{XhtmlNs}\"><base href=\"x\"/></div>"),
            ("object", $"<div xmlns=\"{XhtmlNs}\"><object data=\"x\"/></div>"), ("empty", $"<div xmlns=\"{XhtmlNs}\"></div>"),
        ];
        foreach (var (name, div) in badDivs)
        {
            yield return new("narrative", name, "POST", "F/Patient", Narrative(div), Json);
        }

        yield return new("narrative", "script in XML", "POST", "F/Patient",
            $"<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div xmlns=\"{XhtmlNs}\"><script>x</script></div></text></Patient>", Xml);
        yield return new("narrative", "script in a contained resource", "POST", "F/Patient",
            Patient("\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"c1\",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"" + XhtmlNs + "\\\"><script>x</script></div>\"}}],\"managingOrganization\":{\"reference\":\"#c1\"}"), Json);

        // 5. XML bodies.
        (string Name, string Body)[] badXml =
        [
            ("10000 nested extensions", "<Patient xmlns=\"http://hl7.org/fhir\">" + Repeat("<extension url=\"x\">", 10_000) + Repeat("</extension>", 10_000) + "</Patient>"),
            ("2000 nested extensions", "<Patient xmlns=\"http://hl7.org/fhir\">" + Repeat("<extension url=\"x\">", 2000) + Repeat("</extension>", 2000) + "</Patient>"),
            ("100 nested extensions", "<Patient xmlns=\"http://hl7.org/fhir\">" + Repeat("<extension url=\"x\">", 100) + Repeat("</extension>", 100) + "</Patient>"),
            ("billion laughs", "<!DOCTYPE Patient [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&c;\"/></Patient>"),
            ("external entity", "<!DOCTYPE Patient [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&x;\"/></Patient>"),
            ("abstract element type", "<OperationOutcome xmlns=\"\"><extension value=\"x\"/></OperationOutcome>"),
            ("lower-case type", "<patient xmlns=\"http://hl7.org/fhir\"/>"), ("no namespace", "<Patient><active value=\"true\"/></Patient>"),
            ("not XML", "<Patient xmlns=\"http://hl7.org/fhir\">"), ("wrong value", "<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"maybe\"/></Patient>"),
            ("impossible date", "<Patient xmlns=\"http://hl7.org/fhir\"><birthDate value=\"2024-02-30\"/></Patient>"),
            ("reference to B", "<Patient xmlns=\"http://hl7.org/fhir\"><managingOrganization><reference value=\"Organization/{orgB}\"/></managingOrganization></Patient>"),
            ("invalid character reference", "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&#0;\"/></Patient>"),
        ];
        foreach (var (name, body) in badXml)
        {
            yield return new("xml body", name, "POST", "F/Patient", body, Xml);
        }

        // 6. Media types and headers.
        yield return new("media type", "text/plain body", "POST", "F/Patient", Patient(""), "text/plain");
        yield return new("media type", "no content type", "POST", "F/Patient", Patient(""));
        yield return new("media type", "form body", "POST", "F/Patient", "resourceType=Patient", Form);
        yield return new("media type", "Accept text/html", "GET", "F/Patient/{pA}", Headers: new Dictionary<string, string> { ["Accept"] = "text/html" });
        yield return new("media type", "_format html", "GET", "F/Patient/{pA}?_format=text/html");
        yield return new("media type", "patch as text/plain", "PATCH", "F/Patient/{pA}", "[]", "text/plain");
        foreach (var ifMatch in new[] { "garbage", "W/\"x\"", "W/\"-1\"", "\"99999999999\"", "*" })
        {
            yield return new("header", $"update If-Match {ifMatch}", "PUT", "F/Patient/{pA}", Patient("\"id\":\"{pA}\",\"active\":true"), Json,
                Headers: new Dictionary<string, string> { ["If-Match"] = ifMatch });
            yield return new("header", $"patch If-Match {ifMatch}", "PATCH", "F/Patient/{pA}", """[{"op":"replace","path":"/active","value":true}]""",
                "application/json-patch+json", Headers: new Dictionary<string, string> { ["If-Match"] = ifMatch });
        }

        foreach (var criteria in new[] { "", "bogus=1", "identifier=", "name:nope=x", "_id=a b", "birthdate=2024-02-30" })
        {
            yield return new("header", $"If-None-Exist '{criteria}'", "POST", "F/Patient", Patient("\"active\":true"), Json,
                Headers: new Dictionary<string, string> { ["If-None-Exist"] = criteria.Length == 0 ? "?" : criteria });
        }

        yield return new("header", "20 KB header", "GET", "F/Patient", Headers: new Dictionary<string, string> { ["X-Padding"] = new string('a', 20_000) });
        yield return new("header", "X-Forwarded-For garbage", "GET", "F/Patient/{pA}", Caller: Caller.AdminA, Expected: 2,
            Headers: new Dictionary<string, string> { ["X-Forwarded-For"] = "not-an-address, ::::, 999.1.1.1" });

        // 7. Authentication.
        foreach (var (name, value) in new[]
        {
            ("no token", ""), ("Basic scheme", "Basic YTpi"), ("garbage bearer", "Bearer garbage"), ("alg none", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."),
            ("empty bearer", "Bearer "), ("huge bearer", "Bearer " + new string('a', 10_000)),
        })
        {
            yield return new("auth", $"search with {name}", "GET", "F/Patient", Caller: Caller.Anonymous,
                Headers: value.Length == 0 ? null : new Dictionary<string, string> { ["Authorization"] = value });
            yield return new("auth", $"create with {name}", "POST", "F/Patient", Patient(""), Json, Caller: Caller.Anonymous,
                Headers: value.Length == 0 ? null : new Dictionary<string, string> { ["Authorization"] = value });
        }

        // 8. Search values and shapes.
        string[] badSearches =
        [
            "Observation?value-quantity=7.9e28", "Observation?value-quantity=0e2147483648", "Observation?value-quantity=1e-400", "Observation?value-quantity=gt1e400",
            "Observation?value-quantity=abc", "Observation?code-value-quantity=x$7.9e28",
            "Patient?birthdate=2024-01-01T00:00:00%2B99:99", "Patient?birthdate=2024-13-01", "Patient?birthdate=gx2024", "Patient?birthdate=99999-01-01",
            "Patient?_lastUpdated=2024-01-01T25:00:00Z", "Patient?_count=abc", "Patient?_count=99999999999", "Patient?_count=-1", "Patient?_sort=nope",
            "Patient?_include=Patient:nope", "Patient?_include=Nope:x", "Patient?_revinclude=Observation:nope", "Patient?_summary=maybe", "Patient?_total=maybe",
            "Patient?name:nope=x", "Patient?name:missing=maybe", "Patient?identifier:of-type=a", "Observation?subject:Medication=1",
            "Observation?subject:Patient.organization.partof.partof.partof.partof.partof.name=x", "Observation?patient._has:Observation:subject:_has:Observation:subject:code=x",
            "Patient?_has:Observation", "Patient?_has:Observation:subject", "?_type=patient", "?_type=Nope", "Patient?_page=garbage",
            "Patient?_page=eyJ0b2tlbiI6Imdhcm", "Patient?_compartment=x", "Patient?_id=a%20b",
            "Patient?name=" + Uri.EscapeDataString(new string('x', 5000)) + "&family=" + Uri.EscapeDataString(new string('y', 4000)),
            "Patient?" + string.Join('&', Enumerable.Range(0, 250).Select(i => $"name=x{i}")),
            "Patient?name=" + string.Join(',', Enumerable.Range(0, 1500).Select(i => "v" + i)),
            "Patient/_history?_since=yesterday", "Patient/_history?_at=2024-13", "Patient/_history?_count=x", "_history?_since=2024-01-01T00:00:00%2B99:99",
        ];
        foreach (var search in badSearches)
        {
            yield return new("search", search.Length > 80 ? search[..60] + $"… ({search.Length} chars)" : search, "GET", "F/" + search);
        }

        // Valid but hostile-looking searches: they run and find nothing of B's.
        string[] quietSearches =
        [
            "Patient?name=%27%20OR%201%3D1%20--", "Patient?name=%22)%20OR%20(1%3D1", "Patient?_id={pB}", "Patient?_id={pA},{pB}", "Observation?subject=Patient/{pB}",
            "Observation?subject:Patient.name={marker}", "Organization?name={marker}", "Patient?organization=Organization/{orgB}", "Patient?_has:Observation:subject:code={marker}",
            "Patient?_revinclude=Observation:subject&_id={pB}", "?_type=Patient,Organization&_id={pB},{orgB}", "Patient?identifier=%7C", "Patient?name:contains=%25",
            "Patient?name=%5C", "Patient?organization=Organization/a%20b", "Patient?_elements=(", "Observation?_include=Observation:subject&code={marker}", "Patient?_compartment=Organization/{orgB}",
        ];
        foreach (var search in quietSearches)
        {
            yield return new("search (valid)", search, "GET", "F/" + search, Expected: 2);
        }

        // Searches on hidden fields by the restricted member (birthDate hidden): every spelling is refused.
        foreach (var search in new[] { "Patient?birthdate=1970-01-01", "Patient?birthdate=gt1960", "Patient?_sort=birthdate", "Patient?birthdate:missing=true" })
        {
            yield return new("hidden field", search, "GET", "F/" + search, Caller: Caller.MemberA);
        }

        // Search forms.
        yield return new("search form", "2000 fields", "POST", "F/Patient/_search", string.Join('&', Enumerable.Range(0, 2000).Select(i => $"f{i}=1")), Form);
        yield return new("search form", "a 1 MB value", "POST", "F/Patient/_search", "name=" + new string('a', 1_000_000), Form);
        yield return new("search form", "a 5 MB value", "POST", "F/Patient/_search", "name=" + new string('a', 5_000_000), Form);
        yield return new("search form", "multipart without a boundary", "POST", "F/Patient/_search", "--x\r\n\r\nname=a\r\n--x--", "multipart/form-data");
        yield return new("search form", "multipart with a boundary", "POST", "F/Patient/_search", "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\na\r\n--x--", "multipart/form-data; boundary=x");
        yield return new("search form", "JSON instead of a form", "POST", "F/Patient/_search", "{\"name\":\"x\"}", PlainJson);
        yield return new("search form", "bad value in the form", "POST", "F/Observation/_search", "value-quantity=7.9e28", Form);

        // 9. JSON Patch.
        string[] badJsonPatches =
        [
            """[{"op":5,"path":"/active","value":true}]""", """[{"op":"replace","path":5,"value":true}]""", """[{"op":"replace","path":"active","value":true}]""",
            """{"op":"replace","path":"/active","value":true}""", "[5]", "[null]", "[]x", """[{"op":"replace","op":"add","path":"/active","value":true}]""",
            """[{"op":"remove","path":"/resourceType"}]""", """[{"op":"replace","path":"/id","value":"other"}]""", """[{"op":"replace","path":"/resourceType","value":"Observation"}]""",
            """[{"op":"add","path":"/name/99999999999","value":{}}]""", """[{"op":"add","path":"/birthDate","value":"x"}]""",
            """[{"op":"add","path":"/managingOrganization","value":{"reference":"Organization/{orgB}"}}]""",
            """[{"op":"add","path":"/text","value":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>"}}]""",
            """[{"op":"move","from":"/name","path":"/name/0"}]""", """[{"op":"copy","from":"/nope","path":"/x"}]""", """[{"op":"test","path":"/active","value":false}]""",
            """[{"op":"add","path":"/extension","value":""" + Repeat("[", 500) + Repeat("]", 500) + "}]",
        ];
        foreach (var (patch, i) in badJsonPatches.Select((p, i) => (p, i)))
        {
            yield return new("json patch", $"#{i}: {(patch.Length > 60 ? patch[..60] + "…" : patch)}", "PATCH", "F/Patient/{pA}", patch, "application/json-patch+json");
        }

        static string Operation(string parts) => "{\"name\":\"operation\",\"part\":[" + parts + "]}";
        static string Parameters(params string[] operations) => "{\"resourceType\":\"Parameters\",\"parameter\":[" + string.Join(',', operations) + "]}";
        string[] badFhirPathPatches =
        [
            Parameters(Operation("""{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"active"},{"name":"value","valueBoolean":true},{"name":"value","valueBoolean":false}""")),
            Parameters(Operation("""{"name":"path","valueString":"Patient.active"}""")),
            Parameters(Operation("""{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.("},{"name":"value","valueBoolean":true}""")),
            Parameters(Operation("""{"name":"type","valueCode":"jump"},{"name":"path","valueString":"Patient.active"}""")),
            Parameters(Operation("""{"name":"type","valueCode":"replace"},{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.active"},{"name":"value","valueBoolean":true}""")),
            Parameters(Operation("""{"name":"type","valueCode":"insert"},{"name":"path","valueString":"Patient.name"},{"name":"index","valueInteger":99},{"name":"value","valueHumanName":{"family":"x"}}""")),
            Parameters(Operation("""{"name":"type","valueCode":"move"},{"name":"path","valueString":"Patient.name"},{"name":"source","valueInteger":-1},{"name":"destination","valueInteger":0}""")),
            Parameters(Operation("""{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.birthDate"},{"name":"value","valueString":"not a date"}""")),
            Parameters(Operation("""{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"managingOrganization"},{"name":"value","valueReference":{"reference":"Organization/{orgB}"}}""")),
            Parameters(Operation("""{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.repeat(descendants()).aggregate($total | $this)"}""")),
            Parameters("""{"name":"other"}"""), Parameters(), """{"resourceType":"Patient"}""",
        ];
        foreach (var (patch, i) in badFhirPathPatches.Select((p, i) => (p, i)))
        {
            yield return new("fhirpath patch", $"#{i}", "PATCH", "F/Patient/{pA}", patch, Json);
        }

        // 10. Batches and transactions: refused transactions write nothing; batches answer per entry.
        var post = Entry("POST", "Patient", Patient("\"active\":true"), "urn:uuid:6f1a4b4e-1c2d-4e5f-8a9b-0c1d2e3f4a51");
        (string Name, string Body)[] badTransactions =
        [
            ("a GET entry of a bad id", Transaction("transaction", post, Entry("GET", "Patient/a b"))),
            ("a GET search with a bad value", Transaction("transaction", post, Entry("GET", "Observation?value-quantity=7.9e28"))),
            ("a GET of an unknown type", Transaction("transaction", post, Entry("GET", "patient/1"))),
            ("a HEAD entry", Transaction("transaction", post, Entry("HEAD", "Patient/{pA}"))),
            ("duplicate fullUrls", Transaction("transaction", post, post)),
            ("garbage ifMatch", Transaction("transaction", Entry("PUT", "Patient/{pA}", Patient("\"id\":\"{pA}\",\"active\":false"), extra: ",\"ifMatch\":\"garbage\""))),
            ("stale ifMatch", Transaction("transaction", post, Entry("PUT", "Patient/{pA}", Patient("\"id\":\"{pA}\",\"active\":false"), extra: ",\"ifMatch\":\"W/\\\"99\\\"\""))),
            ("a reference to B", Transaction("transaction", post, Entry("POST", "Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{pB}"}}"""))),
            ("an unresolvable urn:uuid", Transaction("transaction", Entry("POST", "Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:00000000-0000-0000-0000-000000000000"}}"""))),
            ("a PUT with another id", Transaction("transaction", post, Entry("PUT", "Patient/x1", Patient("\"id\":\"x2\"")))),
            ("an entry url with a bad id", Transaction("transaction", post, Entry("PUT", "Patient/a:1", Patient("\"id\":\"a:1\"")))),
            ("an unknown method", Transaction("transaction", post, Entry("FETCH", "Patient"))),
            ("a bad If-None-Exist", Transaction("transaction", Entry("POST", "Patient", Patient(""), extra: ",\"ifNoneExist\":\"bogus=1\""))),
            ("a script in an entry", Transaction("transaction", post, Entry("POST", "Patient", Narrative($"<div xmlns=\"{XhtmlNs}\"><script>x</script></div>")))),
            ("an entry without request", Transaction("transaction", post, "{\"resource\":" + Patient("") + "}")),
            ("a null entry", Transaction("transaction", post, "null")),
            ("an invalid resource", Transaction("transaction", post, Entry("POST", "Patient", Patient("\"active\":\"maybe\"")))),
            ("a patch entry with a bad op", Transaction("transaction", post, Entry("PATCH", "Patient/{pA}", """{"resourceType":"Binary","contentType":"application/json-patch+json","data":"W3sib3AiOjV9XQ=="}"""))),
            ("10000 entries", Transaction("transaction", Enumerable.Range(0, 10_000).Select(i => Entry("POST", "Patient", Patient(""))).ToArray())),
            ("a transaction of an unknown type", Transaction("history", post)), ("a bundle without type", "{\"resourceType\":\"Bundle\",\"entry\":[" + post + "]}"),
            ("urn:uuid cycle", Transaction("transaction",
                Entry("POST", "Organization", """{"resourceType":"Organization","partOf":{"reference":"urn:uuid:6f1a4b4e-1c2d-4e5f-8a9b-0c1d2e3f4a53"}}""", "urn:uuid:6f1a4b4e-1c2d-4e5f-8a9b-0c1d2e3f4a52"),
                Entry("POST", "Organization", """{"resourceType":"Organization","partOf":{"reference":"urn:uuid:6f1a4b4e-1c2d-4e5f-8a9b-0c1d2e3f4a52"}}""", "urn:uuid:6f1a4b4e-1c2d-4e5f-8a9b-0c1d2e3f4a53"),
                Entry("GET", "Organization?name:missing=maybe"))),
        ];
        foreach (var (name, body) in badTransactions)
        {
            yield return new("transaction", name, "POST", "F", body, Json);
        }

        (string Name, string Body)[] batches =
        [
            ("a bad GET and a POST referencing B", Transaction("batch", Entry("GET", "Patient/a b"), Entry("POST", "Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{pB}"}}"""))),
            ("a reference to B", Transaction("batch", Entry("POST", "Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{pB}"}}"""))),
            ("reads of B's ids", Transaction("batch", Entry("GET", "Patient/{pB}"), Entry("GET", "Organization/{orgB}"), Entry("GET", "Patient?_id={pB}"))),
            ("a garbage ifMatch", Transaction("batch", Entry("PUT", "Patient/{pA}", Patient("\"id\":\"{pA}\",\"active\":false"), extra: ",\"ifMatch\":\"garbage\""))),
            ("a search with a bad value", Transaction("batch", Entry("GET", "Observation?value-quantity=7.9e28"))),
        ];
        yield return new("batch", "an invalid resource makes the whole bundle invalid", "POST", "F", Transaction("batch", Entry("POST", "Patient", Patient("\"active\":\"maybe\""))), Json);
        yield return new("batch", "a null entry", "POST", "F", Transaction("batch", "null"), Json);
        foreach (var (name, body) in batches)
        {
            yield return new("batch", name, "POST", "F", body, Json, Expected: 2);
        }

        // 11. Versions and routes.
        foreach (var version in new[] { "0", "-1", "abc", "99999999999", "1.0", "%20", "1;2" })
        {
            yield return new("route", $"vread version {version}", "GET", $"F/Patient/{{pA}}/_history/{version}");
        }

        foreach (var (method, path) in new[]
        {
            ("GET", "F/Patient/{pA}/nothing"), ("GET", "/api/no-such-route"), ("GET", "F/Patient/{pA}/_history/1/x"), ("POST", "F/Patient/{pA}/$nope"),
            ("GET", "/api/oauth2/token"), ("PUT", "F/metadata"), ("POST", "F/Patient/$export"), ("GET", "F/Patient/{pA}/$everything"),
            ("DELETE", "F"), ("PATCH", "F/Patient"), ("GET", "/api/admin/projects"), ("GET", "F/" + new string('P', 9000)),
        })
        {
            yield return new("route", $"{method} {(path.Length > 60 ? path[..40] + "…" : path)}", method, path);
        }

        // 12. Tenancy and admin routes of another project, and bad bodies on A's own.
        foreach (var (method, path) in new[]
        {
            ("GET", "F/Project/{B}"), ("PUT", "F/Project/{B}"), ("GET", "F/ClientApplication/{clientB}"), ("POST", "F/ClientApplication/{clientB}/$rotate-secret"),
            ("POST", "/api/admin/projects/{B}/client"), ("POST", "/api/admin/projects/{B}/invite"), ("PUT", "/api/admin/projects/{B}/links"),
            ("PUT", "/api/admin/projects/{B}/exports"), ("PUT", "/api/admin/projects/{A}/links"), ("PUT", "/api/admin/projects/{A}/exports"), ("POST", "/api/admin/projects"),
            ("GET", "F/ProjectMembership?user=x&profile=Patient/{pB}"), ("GET", "F/AccessPolicy/x"),
        })
        {
            yield return new("tenancy", $"{method} {path}", method, path, "{\"name\":\"x\",\"projects\":[\"{B}\"],\"resourceTypes\":[\"Patient\"]}", PlainJson,
                Expected: path.Contains("ProjectMembership?", StringComparison.Ordinal) ? 2 : 4);
        }

        (string Name, string Body)[] badPolicies =
        [
            ("resourceType 5", """{"resourceType":"AccessPolicy","resource":[{"resourceType":5}]}"""),
            ("misspelled criterion", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criterion":"Patient?_id=x"}]}"""),
            ("misspelled readOnly", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","readOnly":true}]}"""),
            ("misspelled hiddenfields", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","hiddenfields":["birthDate"]}]}"""),
            ("unknown top-level key", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient"}],"superuser":true}"""),
            ("criteria of another type", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criteria":"Observation?code=x"}]}"""),
            ("unparseable criteria", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criteria":"Patient?birthdate=2024-02-30"}]}"""),
            ("chained criteria", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Observation","criteria":"Observation?subject.name=x"}]}"""),
            ("bad hidden field", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","hiddenFields":["nope"]}]}"""),
            ("bad compartment", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","compartment":{"reference":"a b"}}]}"""),
            ("bad write constraint", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","writeConstraint":[{"language":"text/fhirpath","expression":"("}]}]}"""),
            ("bad ipAccessRule", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient"}],"ipAccessRule":[{"value":"999.0.0.0/99","action":"allow"}]}"""),
            ("resource not an array", """{"resourceType":"AccessPolicy","resource":{"resourceType":"Patient"}}"""),
            ("null rule", """{"resourceType":"AccessPolicy","resource":[null]}"""),
            ("not JSON", "{"),
        ];
        foreach (var (name, body) in badPolicies)
        {
            yield return new("access policy", name, "POST", "F/AccessPolicy", body, Json);
        }

        yield return new("access policy", "member writes a policy", "POST", "F/AccessPolicy", """{"resourceType":"AccessPolicy","resource":[{"resourceType":"*"}]}""", Json, Caller.MemberA);

        foreach (var (name, body) in new[]
        {
            ("repeated resource", """{"resourceType":"Parameters","parameter":[{"name":"resource","valueString":"Patient/x"},{"name":"resource","valueString":"Patient/y"}]}"""),
            ("repeated interaction", """{"resourceType":"Parameters","parameter":[{"name":"interaction","valueCode":"read"},{"name":"interaction","valueCode":"create"}]}"""),
            ("not Parameters", Patient("")), ("empty", "{}"),
        })
        {
            yield return new("operation", $"$explain {name}", "POST", "F/ProjectMembership/{mA}/$explain", body, Json);
        }

        foreach (var (name, body) in new[]
        {
            ("repeated propagate", """{"resourceType":"Parameters","parameter":[{"name":"propagate","valueBoolean":true},{"name":"propagate","valueBoolean":false}]}"""),
            ("malformed reference", """{"resourceType":"Parameters","parameter":[{"name":"accounts","valueReference":{"reference":"Organization/"}}]}"""),
            ("reference with a space", """{"resourceType":"Parameters","parameter":[{"name":"accounts","valueReference":{"reference":"Organization/a b"}}]}"""),
            ("not a reference", """{"resourceType":"Parameters","parameter":[{"name":"accounts","valueReference":{"reference":"foo"}}]}"""),
        })
        {
            yield return new("operation", $"$set-accounts {name}", "POST", "F/Patient/{pA}/$set-accounts", body, Json);
        }

        foreach (var (name, body) in new[]
        {
            ("no body", ""), ("not JSON", "{"), ("email 5", "{\"email\":5}"), ("bad email", "{\"email\":\"not-an-email\",\"password\":\"correct horse battery\"}"),
            ("short password", "{\"email\":\"x@example.org\",\"password\":\"short\"}"), ("admin as a string", "{\"email\":\"x@example.org\",\"password\":\"correct horse battery\",\"admin\":\"yes\"}"),
            ("70 KB email", "{\"email\":\"" + new string('a', 70_000) + "@x.org\",\"password\":\"correct horse battery\"}"),
        })
        {
            yield return new("invite", name, "POST", "/api/admin/projects/{A}/invite", body, PlainJson);
        }

        yield return new("invite", "by the restricted member", "POST", "/api/admin/projects/{A}/invite", "{\"email\":\"x@example.org\",\"password\":\"correct horse battery\"}", PlainJson, Caller.MemberA);

        // 13. Token and login.
        foreach (var (name, body, type) in new (string, string, string?)[]
        {
            ("2000 fields", string.Join('&', Enumerable.Range(0, 2000).Select(i => $"f{i}=1")), Form), ("5 MB value", "grant_type=" + new string('a', 5_000_000), Form),
            ("multipart without a boundary", "--x\r\n\r\ngrant_type=client_credentials\r\n--x--", "multipart/form-data"),
            ("64 KB client_id", "grant_type=client_credentials&client_secret=x&client_id=" + new string('a', 65_536), Form),
            ("B's client with a wrong secret", "grant_type=client_credentials&client_id={clientB}&client_secret=wrong", Form),
            ("unknown grant", "grant_type=password&username=a&password=b", Form), ("no grant", "client_id=x", Form), ("JSON body", "{\"grant_type\":\"client_credentials\"}", PlainJson),
            ("bad code", "grant_type=authorization_code&code=x&code_verifier=y", Form), ("bad refresh token", "grant_type=refresh_token&refresh_token=x", Form),
            ("percent garbage", "grant_type=%ZZ&client_id=%C0%AF", Form), ("no content type", "grant_type=client_credentials", null),
        })
        {
            yield return new("token", name, "POST", "/api/oauth2/token", body, type, Caller.Anonymous);
        }

        foreach (var (name, body) in new[]
        {
            ("not JSON", "{"), ("email 5", "{\"email\":5,\"password\":\"x\"}"), ("array", "[]"), ("no challenge", "{\"email\":\"a@b.c\",\"password\":\"x\"}"),
            ("plain challenge", "{\"email\":\"a@b.c\",\"password\":\"x\",\"codeChallenge\":\"c\",\"codeChallengeMethod\":\"plain\"}"),
            ("70 KB email", "{\"email\":\"" + new string('a', 70_000) + "\",\"password\":\"x\",\"codeChallenge\":\"c\",\"codeChallengeMethod\":\"S256\"}"),
            ("deep JSON", Repeat("[", 5000) + Repeat("]", 5000)),
        })
        {
            yield return new("login", name, "POST", "/api/auth/login", body, PlainJson, Caller.Anonymous);
        }

        foreach (var (name, body) in new[] { ("not JSON", "{"), ("unknown login", "{\"login\":\"x\",\"profile\":\"y\"}"), ("login 5", "{\"login\":5,\"profile\":5}") })
        {
            yield return new("login", $"profile {name}", "POST", "/api/auth/profile", body, PlainJson, Caller.Anonymous);
        }

        // 14. The restricted member writes: refused, nothing written.
        yield return new("member write", "create", "POST", "F/Patient", Patient(""), Json, Caller.MemberA);
        yield return new("member write", "update", "PUT", "F/Patient/{pA}", Patient("\"id\":\"{pA}\",\"active\":false"), Json, Caller.MemberA);
        yield return new("member write", "patch", "PATCH", "F/Patient/{pA}", """[{"op":"replace","path":"/active","value":false}]""", "application/json-patch+json", Caller.MemberA);
        yield return new("member write", "delete", "DELETE", "F/Patient/{pA}", Caller: Caller.MemberA);
        yield return new("member write", "transaction", "POST", "F", Transaction("transaction", post), Json, Caller.MemberA);
        yield return new("member write", "conditional delete", "DELETE", "F/Patient?_id={pA}", Caller: Caller.MemberA);
        yield return new("member write", "observation create", "POST", "F/Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"}}""", Json, Caller.MemberA);
    }
}
