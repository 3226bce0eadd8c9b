# HTTP API: POST /sweep-run, GET /sweep-run/{run_id}, POST /sweep-run/{run_id}/cancel and
# POST /sweep-run/{run_id}/rerun, all IAM-authorised (SigV4;
# the caller needs execute-api:Invoke, see the researcher policy), throttled at the
# stage, proxied to the `live` alias with payload format 2.0.

resource "aws_apigatewayv2_api" "sweep" {
  name          = "${local.stack}-sweep-api"
  description   = "Submit sweep runs and read their status"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "sweep" {
  api_id                 = aws_apigatewayv2_api.sweep.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_alias.live.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "submit" {
  api_id             = aws_apigatewayv2_api.sweep.id
  route_key          = "POST /sweep-run"
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.sweep.id}"
}

resource "aws_apigatewayv2_route" "status" {
  api_id             = aws_apigatewayv2_api.sweep.id
  route_key          = "GET /sweep-run/{run_id}"
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.sweep.id}"
}

resource "aws_apigatewayv2_route" "cancel" {
  api_id             = aws_apigatewayv2_api.sweep.id
  route_key          = "POST /sweep-run/{run_id}/cancel"
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.sweep.id}"
}

resource "aws_apigatewayv2_route" "rerun" {
  api_id             = aws_apigatewayv2_api.sweep.id
  route_key          = "POST /sweep-run/{run_id}/rerun"
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.sweep.id}"
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.stack}-sweep-api"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.sweep.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit    = var.api_throttling_rate_limit
    throttling_burst_limit   = var.api_throttling_burst_limit
    detailed_metrics_enabled = true
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      caller         = "$context.identity.caller"
      userArn        = "$context.identity.userArn"
      sourceIp       = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      latencyMs      = "$context.responseLatency"
      integrationErr = "$context.integrationErrorMessage"
    })
  }
}

# API Gateway's right to invoke the alias, one statement per route, each scoped by
# source ARN to this API and that route.
resource "aws_lambda_permission" "api_submit" {
  statement_id  = "AllowHttpApiSubmit"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.sweep.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.sweep.execution_arn}/*/POST/sweep-run"
}

resource "aws_lambda_permission" "api_status" {
  statement_id  = "AllowHttpApiStatus"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.sweep.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.sweep.execution_arn}/*/GET/sweep-run/*"
}

resource "aws_lambda_permission" "api_cancel" {
  statement_id  = "AllowHttpApiCancel"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.sweep.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.sweep.execution_arn}/*/POST/sweep-run/*/cancel"
}

resource "aws_lambda_permission" "api_rerun" {
  statement_id  = "AllowHttpApiRerun"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.sweep.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.sweep.execution_arn}/*/POST/sweep-run/*/rerun"
}
