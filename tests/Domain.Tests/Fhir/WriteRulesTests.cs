using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Fhir;

/// <summary>Ids are FHIR ids and narratives FHIR XHTML, in the resource and everything nested in it.</summary>
public sealed class WriteRulesTests
{
    private const string Xhtml = "http://www.w3.org/1999/xhtml";

    [Theory]
    [InlineData("a", true)]
    [InlineData("A-z.0", true)]
    [InlineData("1234567890123456789012345678901234567890123456789012345678901234", true)]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345", false)]
    [InlineData("", false)]
    [InlineData("a:1", false)]
    [InlineData("a b", false)]
    [InlineData("a\\b", false)]
    [InlineData("a/b", false)]
    [InlineData("\u00e9", false)]
    [InlineData("\ufffd", false)]
    [InlineData("a_b", false)]
    public void Fhir_ids_are_letters_digits_dashes_and_dots(string id, bool valid) => Assert.Equal(valid, FhirId.IsValid(id));

    [Theory]
    [InlineData("Patient", true)]
    [InlineData("patient", false)]
    [InlineData("PATIENT", false)]
    [InlineData("Patientt", false)]
    [InlineData("", false)]
    public void Type_names_are_case_sensitive(string name, bool known) => Assert.Equal(known, ResourceTypes.IsKnown(name));

    [Theory]
    [InlineData("W/\"3\"", 3)]
    [InlineData("\"3\"", 3)]
    [InlineData(" W/\"12\" ", 12)]
    [InlineData("3", 3)]
    [InlineData("W/\"0\"", null)]
    [InlineData("W/\"-1\"", null)]
    [InlineData("W/\"x\"", null)]
    [InlineData("W/\"3", null)]
    [InlineData("garbage", null)]
    [InlineData("W/\"99999999999\"", null)]
    public void Version_etags_parse_one_way(string value, int? version) => Assert.Equal(version, VersionETag.Parse(value));

    [Theory]
    [InlineData($"<div xmlns=\"{Xhtml}\">Hello <b>there</b></div>", null)]
    [InlineData($"<div xmlns=\"{Xhtml}\"><table><tr><td colspan=\"2\" style=\"color:red\">x</td></tr></table><a href=\"https://example.org\">l</a></div>", null)]
    [InlineData($"<div xmlns=\"{Xhtml}\" xml:lang=\"en\"><img src=\"#photo\" alt=\"\"/></div>", null)]
    [InlineData($"<div xmlns=\"{Xhtml}\"><script>alert(1)</script>x</div>", "<script>")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><p onclick=\"alert(1)\">x</p></div>", "onclick")]
    [InlineData($"<div xmlns=\"{Xhtml}\" onmouseover=\"alert(1)\">x</div>", "onmouseover")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><a href=\"javascript:alert(1)\">x</a></div>", "script")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><a href=\" java script:alert(1)\">x</a></div>", "script")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><form><input/></form></div>", "<form>")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><style>p{{}}</style>x</div>", "<style>")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><iframe src=\"https://evil\"/>x</div>", "<iframe>")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><link rel=\"stylesheet\" href=\"x\"/>x</div>", "<link>")]
    [InlineData($"<div xmlns=\"{Xhtml}\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><a xlink:href=\"x\">x</a></div>", "xmlns:xlink")]
    [InlineData($"<div xmlns=\"{Xhtml}\"><svg xmlns=\"http://www.w3.org/2000/svg\"/>x</div>", "<svg>")]
    [InlineData("<div>no namespace</div>", "root")]
    [InlineData($"<p xmlns=\"{Xhtml}\">not a div</p>", "root")]
    [InlineData($"<div xmlns=\"{Xhtml}\">unclosed <b></div>", "well-formed")]
    [InlineData($"<div xmlns=\"{Xhtml}\">&nbsp;</div>", "well-formed")]
    [InlineData($"<div xmlns=\"{Xhtml}\">   </div>", "content")]
    [InlineData($"<div xmlns=\"{Xhtml}\">x</div><div xmlns=\"{Xhtml}\">y</div>", "well-formed")]
    public void Narratives_must_be_fhir_xhtml(string div, string? problem)
    {
        var found = NarrativeXhtml.Problem(div);
        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_rules_reach_contained_and_nested_resources_and_name_where()
    {
        var script = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"{Xhtml}\"><script>x</script></div>" };
        Assert.Null(WriteRules.Check(new Patient { Id = "ok", Text = new Narrative { Div = $"<div xmlns=\"{Xhtml}\">fine</div>" } }));

        var inContained = WriteRules.Check(new Patient { Contained = [new Observation { Id = "o", Text = script }] });
        Assert.Equal("Patient.contained[0].text.div", inContained!.Issue[0].Expression.Single());

        var inEntry = WriteRules.Check(new Bundle { Type = Bundle.BundleType.Collection, Entry = [new() { Resource = new Patient { Id = "a:1" } }] });
        Assert.Equal("Bundle.entry[0].resource.id", inEntry!.Issue[0].Expression.Single());
        Assert.Equal(OperationOutcome.IssueType.Invalid, inEntry.Issue[0].Code);

        var inParameters = WriteRules.Check(new Parameters { Parameter = [new() { Name = "r", Resource = new Patient { Text = script } }] });
        Assert.Equal("Parameters.parameter[0].resource.text.div", inParameters!.Issue[0].Expression.Single());
    }
}
