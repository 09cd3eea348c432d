using LeoFlow.Agent.Masking;
using Secret = System.Collections.Generic.KeyValuePair<string, string>;

namespace LeoFlow.Agent.Tests.Unit;

public sealed class SecretsOfTests
{
    private static string[] Values(List<Secret> secrets) => secrets.Select(s => s.Value).ToArray();

    [Theory]
    [InlineData("db_password", true)]
    [InlineData("DB_PASSWORD", true)]
    [InlineData("my_api_key_v2", true)]
    [InlineData("github_token", true)]
    [InlineData("gcp_keyfile_dict", true)]
    [InlineData("Authorization", true)]
    [InlineData("ssh_passphrase", true)]
    [InlineData("client_secret", true)]
    [InlineData("region", false)]
    [InlineData("api", false)]
    [InlineData("pass", false)]
    public void ASensitiveNameContainsOneOfAirflowsWords(string key, bool sensitive) =>
        Assert.Equal(sensitive, SecretsOf.IsSensitive(key));

    [Fact]
    public void AVariableIsASecretWhenItsNameSaysSo()
    {
        Assert.Equal(["Zq9-api-key"], Values(SecretsOf.Variable("stripe_api_key", "Zq9-api-key")));
        Assert.Equal("variable \"stripe_api_key\"", Assert.Single(SecretsOf.Variable("stripe_api_key", "Zq9-api-key")).Key);
        Assert.Empty(SecretsOf.Variable("region", "eu-west-1"));
    }

    [Fact]
    public void AJsonVariableHasTheValuesOfItsSensitiveKeys()
    {
        var secrets = SecretsOf.Variable("settings", """{"region": "eu", "auth": {"client_secret": "cs-98765", "nested": {"deep": 1}}, "tokens": ["t-11111", "t-22222"]}""");

        Assert.Equal(["cs-98765", "t-11111", "t-22222"], Values(secrets));
        Assert.Equal(["variable \"settings\" \"client_secret\"", "variable \"settings\" \"tokens\"", "variable \"settings\" \"tokens\""], secrets.Select(s => s.Key));
    }

    [Fact]
    public void ASensitiveJsonVariableIsASecretWholeAndInEachValue()
    {
        const string keyfile = """{"type": "service_account", "client_email": "bot@project.iam", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n", "port": 8443}""";

        var values = Values(SecretsOf.Variable("gcp_keyfile_dict", keyfile));

        Assert.Equal(keyfile, values[0]);
        Assert.Contains("bot@project.iam", values);
        Assert.Contains("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n", values);   // printed decoded, line by line
        Assert.Contains("""-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n""", values);     // as the JSON spells it
        Assert.Contains("8443", values);
    }

    [Theory]
    [InlineData("postgres://scott:tiger-pw@db.internal:5432/dwh", "tiger-pw")]
    [InlineData("mysql://scott:p@ss@word@db/dwh", "p@ss@word")]        // a raw '@': the login ends at the last one
    [InlineData("mysql://scott:pa:ss:wd@db/dwh", "pa:ss:wd")]          // a raw ':': the password starts after the first
    [InlineData("mysql://scott:pa/ss/wd@db/dwh", "pa/ss/wd")]          // a raw '/' ends Airflow's authority early
    [InlineData("pg://scott:secret1@db/dwh@v2", "secret1")]            // an '@' in the path is not the login's
    [InlineData("http://https://scott:pass-word@api.internal", "pass-word")]   // a host with its own protocol
    public void AConnectionsPasswordIsASecret(string uri, string password)
    {
        var secrets = SecretsOf.Connection("warehouse", uri);

        Assert.Equal([password], Values(secrets));
        Assert.Equal("connection \"warehouse\" password", secrets[0].Key);
    }

    [Fact]
    public void APercentEncodedPasswordIsASecretAsDeliveredAndDecoded()
    {
        var secrets = SecretsOf.Connection("warehouse", "postgres://scott:p%40ss%3Aw%2Frd%2B1@db:5432/dwh");

        Assert.Equal(["p%40ss%3Aw%2Frd%2B1", "p@ss:w/rd+1"], Values(secrets));
    }

    [Theory]
    [InlineData("s3://bucket/key@v1")]
    [InlineData("http://host/path:x@y")]
    [InlineData("postgres://scott@db/dwh")]
    [InlineData("sqlite:////tmp/db.sqlite")]
    [InlineData("not a uri")]
    [InlineData("")]
    public void AConnectionWithoutPasswordHasNoSecret(string uri) => Assert.Empty(SecretsOf.Connection("c", uri));

    [Fact]
    public void TheSensitiveKeysOfAnExtraAreSecretsAsDecodedAsTheJsonSpellsThemAndAsTheUriDoes()
    {
        const string extra = "%7B%22api_key%22%3A%20%22abc%2Bdef%2F1%22%2C%20%22region%22%3A%20%22eu%22%2C%20%22token%22%3A%20%22q%5C%22uote%22%7D";
        var secrets = SecretsOf.Connection("api", "http://scott:tiger-pw@api.internal/?__extra__=" + extra);

        Assert.Equal(["tiger-pw", "abc+def/1", "abc%2Bdef%2F1", "q\"uote", "q\\\"uote", "q%5C%22uote"], Values(secrets));
        Assert.Equal(["connection \"api\" password", "connection \"api\" extra \"api_key\""], secrets.Take(2).Select(s => s.Key));
    }

    [Fact]
    public void WithoutExtraJsonEveryQueryParameterIsAnExtra()
    {
        var secrets = SecretsOf.Connection("api", "http://api.internal/?timeout=30&api_key=K%2B12+34&Auth_Token=tok-55555#frag");

        Assert.Equal(["K%2B12+34", "K+12 34", "tok-55555"], Values(secrets));
        Assert.Equal("connection \"api\" extra \"Auth_Token\"", secrets[2].Key);
    }

    [Fact]
    public void TheJsonFormHasItsPasswordAndItsExtrasSecrets()
    {
        var secrets = SecretsOf.Connection("warehouse",
            """{"conn_type": "postgres", "login": "scott", "password": "pa\"ss-1", "host": "db", "extra": "{\"api_key\": \"k-12345\", \"region\": \"eu\"}"}""");
        var objectExtra = SecretsOf.Connection("warehouse", """ {"password": "xyzzy1", "extra": {"service_account": {"email": "bot@x.iam", "token": 123456}}}""");

        Assert.Equal(["pa\"ss-1", "pa\\\"ss-1", "k-12345"], Values(secrets));
        Assert.Equal(["connection \"warehouse\" \"password\"", "connection \"warehouse\" \"password\"", "connection \"warehouse\" \"api_key\""], secrets.Select(s => s.Key));
        Assert.Equal(["xyzzy1", "bot@x.iam", "123456"], Values(objectExtra));
    }

    [Theory]
    [InlineData("""{"password": "abcdef", """)]
    [InlineData("""{"password": """)]
    [InlineData("""{"extra": "{\"token\": \"tok-12345\"", "password": "after"}""")]
    public void BrokenJsonGivesWhatWasFoundBeforeTheBreak(string json)
    {
        var secrets = SecretsOf.Connection("c", json);

        Assert.All(secrets, s => Assert.Contains(s.Value, json));
    }

    [Fact]
    public void PercentDecodingMapsEachByteToWhereItWasWritten()
    {
        byte[] decoded = SecretsOf.PercentDecode("a%41+%zz%4"u8, plus: true, out int[] map);

        Assert.Equal("aA %zz%4"u8.ToArray(), decoded);
        Assert.Equal([0, 1, 4, 5, 6, 7, 8, 9, 10], map[..9]);
    }
}
