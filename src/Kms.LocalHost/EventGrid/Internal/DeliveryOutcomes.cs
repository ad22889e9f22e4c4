using System.Net;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>Names of delivery outcomes, in the words Event Grid uses for <c>lastDeliveryOutcome</c>.</summary>
internal static class DeliveryOutcomes
{
    public const string None = "None";
    public const string Succeeded = "Succeeded";
    public const string TimedOut = "TimedOut";
    public const string ConnectionFailed = "ConnectionFailed";
    public const string BadRequest = "BadRequest";
    public const string PayloadTooLarge = "PayloadTooLarge";
    public const string Unauthorized = "Unauthorized";
    public const string Forbidden = "Forbidden";
    public const string NotFound = "NotFound";
    public const string Busy = "Busy";
    public const string GenericError = "GenericError";

    public static string ForStatus(HttpStatusCode status) => status switch
    {
        _ when (int)status is >= 200 and < 300 => Succeeded,
        HttpStatusCode.BadRequest => BadRequest,
        HttpStatusCode.RequestEntityTooLarge => PayloadTooLarge,
        HttpStatusCode.Unauthorized => Unauthorized,
        HttpStatusCode.Forbidden => Forbidden,
        HttpStatusCode.NotFound => NotFound,
        HttpStatusCode.RequestTimeout => TimedOut,
        HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => Busy,
        _ => GenericError,
    };
}
