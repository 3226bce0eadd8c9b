terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70, < 6.0"
    }
  }

  # State: configure a remote backend per environment (an S3 bucket with a DynamoDB or
  # S3-native lock) in a backend.tf that is not committed, or pass
  # -backend-config=... to `terraform init`. Local state is fine for a sandbox.
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
