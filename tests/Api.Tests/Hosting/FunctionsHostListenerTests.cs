using Enclave.Functions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Enclave.Api.Tests.Hosting;

public sealed class FunctionsHostListenerTests
{
    private static string? UrlsFor(params string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.ListenForFunctionsHost();
        return builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
    }

    [Fact]
    public void Host_port_means_loopback_on_that_port() =>
        Assert.Equal("http://127.0.0.1:40123", UrlsFor("--FUNCTIONS_CUSTOMHANDLER_PORT=40123"));

    [Fact]
    public void Without_host_or_urls_the_local_default_is_used() =>
        Assert.Equal(FunctionsHostListener.LocalDefaultUrl, UrlsFor());

    [Fact]
    public void Explicit_urls_are_kept() =>
        Assert.Equal("http://127.0.0.1:5005", UrlsFor("--urls=http://127.0.0.1:5005"));

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("70000")]
    public void A_host_port_that_is_not_a_port_fails_start_up(string port) =>
        Assert.Throws<InvalidOperationException>(() => UrlsFor($"--FUNCTIONS_CUSTOMHANDLER_PORT={port}"));
}
