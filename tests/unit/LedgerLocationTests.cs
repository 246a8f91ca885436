using System;
using AlipayBptb.Core.Ledger;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>-Ledger as a file, a PostgreSQL URL or an Npgsql connection string, and never a password in it.</summary>
public sealed class LedgerLocationTests
{
    private static LedgerLocation Parse(string text) => LedgerLocation.Parse(text, p => "/resolved/" + p);

    [Theory]
    [InlineData("postgresql://bptb@db.example.com:5432/bptb")]
    [InlineData("postgres://bptb@db.example.com/bptb?sslmode=require")]
    [InlineData("Host=db.example.com;Database=bptb;Username=bptb")]
    [InlineData("host=db.example.com;port=5432")]
    public void PostgreSQL_in_either_form(string text)
    {
        LedgerLocation l = Parse(text);
        Assert.True(l.IsPostgres);
        Assert.Equal(text, l.Text);
    }

    [Theory]
    [InlineData("bptb.db")]
    [InlineData("ledgers/bptb;old.db")]
    [InlineData("host.db")]
    public void Anything_else_is_a_file_resolved_where_the_user_is(string text)
    {
        LedgerLocation l = Parse(text);
        Assert.False(l.IsPostgres);
        Assert.Equal("/resolved/" + text, l.Text);
    }

    [Theory]
    [InlineData("postgresql://bptb:s3cret-pw@db.example.com/bptb")]
    [InlineData("postgresql://db.example.com/bptb?user=bptb&password=s3cret-pw")]
    [InlineData("Host=db.example.com;Database=bptb;Password=s3cret-pw")]
    [InlineData("Host=db.example.com;PWD=s3cret-pw")]
    public void A_password_is_refused_and_never_repeated(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => Parse(text));
        Assert.DoesNotContain("s3cret-pw", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-LedgerCredential", ex.Message, StringComparison.Ordinal);
    }
}
