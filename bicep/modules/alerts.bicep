// Alerts for the SLOs, on the app's Application Insights component:
//  - metric alerts: failed requests (5xx) and server response time, from the standard request telemetry;
//  - log (KQL) alerts: API availability over the window from the requests table, and encrypt/decrypt success from
//    the KMS's own counter kms.requests (KmsMetricNames.Requests, tags operation and result, exported through
//    OpenTelemetry to Azure Monitor, where it lands in customMetrics with the tags in customDimensions).
// Every alert notifies the action group (e-mail) when one is configured.

param location string
param appInsightsId string
param namePrefix string

@description('E-mail that receives alerts; empty = alerts fire without notification.')
param alertEmail string

@description('Availability SLO of the API (fraction of non-5xx responses), e.g. 0.999.')
param availabilityTarget string

@description('Alert when the average server response time (ms) over 5 minutes exceeds this.')
param responseTimeThresholdMs int

@description('Alert when more than this many requests fail (5xx) in 5 minutes.')
param failedRequestsThreshold int

param tags object

// Fewer requests than this in a window say nothing about a ratio; the alert stays quiet.
var minimumRequests = 50

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-alerts'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take(replace(namePrefix, '-', ''), 12)
    enabled: true
    emailReceivers: [
      {
        name: 'on-call'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(alertEmail) ? [] : [
  {
    actionGroupId: actionGroup.id
  }
]

resource failedRequests 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-failed-requests'
  location: 'global'
  tags: tags
  properties: {
    description: 'KMS API answered with 5xx (HSM or storage unavailable, or a defect).'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'failed'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'requests/failed'
          operator: 'GreaterThan'
          threshold: failedRequestsThreshold
          timeAggregation: 'Count'
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource responseTime 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-response-time'
  location: 'global'
  tags: tags
  properties: {
    description: 'KMS API server response time above the latency SLO.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'duration'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'requests/duration'
          operator: 'GreaterThan'
          threshold: responseTimeThresholdMs
          timeAggregation: 'Average'
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource availability 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-availability'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: API availability below ${availabilityTarget}'
    description: 'Share of requests answered without a 5xx over 15 minutes, from the requests table.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: format('''
requests
| summarize total = count(), failed = countif(toint(resultCode) >= 500)
| where total >= {0}
| extend availability = 1.0 - todouble(failed) / total
| where availability < {1}
''', minimumRequests, availabilityTarget)
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(alertEmail) ? [] : [
        actionGroup.id
      ]
    }
  }
}

resource cryptoSuccess 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-encrypt-decrypt-success'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: encrypt/decrypt success below ${availabilityTarget}'
    description: 'Share of Encrypt and Decrypt requests that did not fail on the server (result server_error), from the kms.requests counter.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          // valueSum of a counter's customMetrics row is the count of that export interval.
          query: format('''
customMetrics
| where name == "kms.requests"
| extend operation = tostring(customDimensions["operation"]), result = tostring(customDimensions["result"])
| where operation in ("Encrypt", "Decrypt")
| summarize total = sum(valueSum), failed = sumif(valueSum, result == "server_error") by operation
| where total >= {0}
| extend success = 1.0 - failed / total
| where success < {1}
''', minimumRequests, availabilityTarget)
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(alertEmail) ? [] : [
        actionGroup.id
      ]
    }
  }
}
